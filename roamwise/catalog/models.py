from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from roamwise.core.models import TimeStampedModel
from roamwise.core.money import Money, Rounding, is_currency, minor_units, quantum

from . import names


class Destination(TimeStampedModel):
    """A country (ISO 3166-1), a region of countries, or the whole world."""

    class Kind(models.TextChoices):
        COUNTRY = "country", gettext_lazy("Country")
        REGION = "region", gettext_lazy("Region")
        GLOBAL = "global", gettext_lazy("Global")

    # ISO 3166-1 alpha-2 for countries ("FR"); a lower-case slug for the rest.
    code = models.CharField(max_length=16, unique=True)
    alpha3 = models.CharField(max_length=3, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100, db_index=True)
    aliases = models.CharField(
        max_length=300, blank=True, help_text="Other names people search for, separated by ';'."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    countries = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="regions",
        limit_choices_to={"kind": "country"},
        help_text="For a region: the countries it covers.",
    )
    popularity = models.PositiveIntegerField(default=0, help_text="Higher shows first.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["country", "region", "global"]),
                name="destination_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def country_codes(self) -> list[str]:
        """The countries a plan for this destination works in; empty: everywhere."""
        if self.kind == self.Kind.COUNTRY:
            return [self.code]
        if self.kind == self.Kind.REGION:
            return sorted(self.countries.values_list("code", flat=True))
        return []

    @property
    def display_name(self) -> str:
        """The name in the active language, from CLDR (names.display_name)."""
        return names.display_name(self)

    @property
    def flag(self) -> str:
        """The emoji flag of a country, from its two regional-indicator letters."""
        if self.kind != self.Kind.COUNTRY or len(self.code) != 2:
            return "🌍" if self.kind == self.Kind.GLOBAL else "🗺️"
        return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in self.code.upper())


class Network(TimeStampedModel):
    """A mobile network operator, by its MCC-MNC, that plans roam onto."""

    country = models.ForeignKey(
        Destination,
        on_delete=models.CASCADE,
        related_name="networks",
        limit_choices_to={"kind": "country"},
    )
    name = models.CharField(max_length=80)
    mcc_mnc = models.CharField(max_length=6, unique=True)

    class Meta:
        ordering = ["country__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.mcc_mnc})"


class Plan(TimeStampedModel):
    """An eSIM data plan: data (or unlimited with a daily fair-use), validity, price,
    and what a traveller needs to know before buying (speed, hotspot, number, start)."""

    class Generation(models.TextChoices):
        UNKNOWN = "", _("Not stated")
        LTE = "4g", _("4G/LTE")
        NR = "5g", _("5G where available")

    class ValidityStart(models.TextChoices):
        FIRST_USE = "first_use", _("when it first connects to a network in a covered country")
        INSTALL = "install", _("when you install it")
        PURCHASE = "purchase", _("when you buy it")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=100)
    data_mb = models.PositiveIntegerField(
        null=True, blank=True, help_text="Data included, in MB; empty for unlimited."
    )
    fair_use_mb_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Unlimited plans only: full speed up to this much a day."
    )
    validity_days = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    networks = models.ManyToManyField(Network, related_name="plans", blank=True)
    profile_type = models.CharField(
        max_length=64, default="roamwise-standard", help_text="The SM-DP+ profile type to order."
    )
    is_active = models.BooleanField(default=True)
    network_generation = models.CharField(
        max_length=2,
        blank=True,
        choices=Generation.choices,
        help_text="The fastest network generation the plan uses; empty when the supplier "
        "does not say.",
    )
    hotspot_allowed = models.BooleanField(
        default=True, help_text="The phone may share the plan's data with other devices."
    )
    is_data_only = models.BooleanField(
        default=True, help_text="Data only: the eSIM comes with no number for calls or texts."
    )
    validity_starts = models.CharField(
        max_length=16, choices=ValidityStart.choices, default=ValidityStart.FIRST_USE
    )
    # A deliberate sale below the wholesale cost (a promotion, a loss leader):
    # checkout refuses one otherwise (ADR 0025). Set with its reason through
    # ``plan_below_cost_set``, which writes it to the back office's history.
    sell_below_cost = models.BooleanField(
        default=False, help_text="Allow this plan to be sold below its wholesale cost."
    )
    below_cost_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it may be sold below cost."
    )

    class Meta:
        ordering = ["price", "validity_days"]
        permissions = [
            ("change_price", "Can change a plan's price"),
            ("run_promotions", "Can run promotions on plans"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sell_below_cost=False) | ~Q(below_cost_reason=""),
                name="plan_below_cost_has_reason",
                violation_error_message="Give the reason this plan may be sold below its cost.",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="plan_price_positive"),
            models.CheckConstraint(condition=Q(validity_days__gt=0), name="plan_validity_positive"),
            models.CheckConstraint(
                condition=Q(data_mb__isnull=False, fair_use_mb_per_day__isnull=True)
                | Q(data_mb__isnull=True, fair_use_mb_per_day__isnull=False),
                name="plan_data_or_unlimited_with_fair_use",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="plan_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=Q(network_generation__in=["", "4g", "5g"]),
                name="plan_network_generation_valid",
            ),
            models.CheckConstraint(
                condition=Q(validity_starts__in=["first_use", "install", "purchase"]),
                name="plan_validity_starts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination.name}: {self.name}"

    @property
    def is_unlimited(self) -> bool:
        return self.data_mb is None

    @property
    def money(self) -> Money:
        return Money(Decimal(self.price), self.currency)

    @property
    def price_per_gb(self) -> Money | None:
        """The price of one GB, for a plan with a fixed amount of data, in the
        currency the plan is shown in (``catalog.pricing.plans_priced``)."""
        if not self.data_mb:
            return None
        price: Money = getattr(self, "shown_price", None) or self.money
        return Money(price.amount * 1024 / self.data_mb, price.currency)

    @property
    def data_label(self) -> str:
        if self.data_mb is None:
            return "Unlimited"
        if self.data_mb >= 1024 and self.data_mb % 1024 == 0:
            return f"{self.data_mb // 1024} GB"
        return f"{self.data_mb} MB"


def _validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(_("%(code)s is not an ISO 4217 currency code.") % {"code": code})


class PlanPrice(TimeStampedModel):
    """The price the retailer sets for a plan in one currency, VAT included.
    It beats the rate table for that plan and currency (ADR 0027)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, validators=[_validate_currency])
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["plan", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "currency"], name="plan_price_once_per_currency"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_price_amount_positive"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="plan_price_currency_iso4217"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.amount} {self.currency}"

    def clean(self) -> None:
        known = bool(self.currency) and is_currency(self.currency)
        if (
            known
            and self.amount is not None
            and self.amount != self.amount.quantize(quantum(self.currency))
        ):
            message = _("%(code)s has no smaller unit than %(unit)s.")
            raise ValidationError(
                {"amount": message % {"code": self.currency, "unit": quantum(self.currency)}}
            )


class CurrencyRate(TimeStampedModel):
    """How much one unit of the shop's base currency (DEFAULT_CURRENCY) is in
    another currency, and how prices converted with it are rounded."""

    currency = models.CharField(max_length=3, unique=True, validators=[_validate_currency])
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, help_text=_("Units of this currency per base unit.")
    )
    rounding = models.CharField(max_length=8, choices=Rounding.choices, default=Rounding.END_99)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="currency_rate_positive"),
            models.CheckConstraint(
                condition=Q(rounding__in=Rounding.values), name="currency_rate_rounding_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate}"

    def clean(self) -> None:
        if self.currency == settings.DEFAULT_CURRENCY:
            raise ValidationError(
                {"currency": _("This is the base currency: its rate is always 1.")}
            )
        known = bool(self.currency) and is_currency(self.currency)
        if known and self.rounding == Rounding.END_99 and minor_units(self.currency) < 2:
            message = _("%(code)s has no cents: choose whole units.")
            raise ValidationError({"rounding": message % {"code": self.currency}})

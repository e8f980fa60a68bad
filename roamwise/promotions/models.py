"""Promotions: a discount with its limits, its amounts per currency, and the
ledger of its uses (ADR 0031)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roamwise.core.models import TimeStampedModel
from roamwise.core.money import is_currency, quantum


class Promotion(TimeStampedModel):
    """A discount on new eSIMs. With a code, the customer types it at
    checkout; without one, it applies by itself where it matches (the best
    of those that match wins)."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off (per currency)")

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown to the customer and on the invoice.")
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        blank=True,
        help_text=_(
            "What the customer types at checkout, in any case. Leave empty for an automatic "
            "promotion, which applies without a code."
        ),
    )
    kind = models.CharField(_("kind of discount"), max_length=8, choices=Kind.choices)
    percent = models.DecimalField(
        _("percentage off"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
        help_text=_("For a percentage: from 0.01 to 99.99."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("valid from"), null=True, blank=True)
    ends_at = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: no end.")
    )
    destinations = models.ManyToManyField(
        "catalog.Destination",
        blank=True,
        related_name="promotions",
        verbose_name=_("destinations"),
        help_text=_(
            "Only plans for these countries or regions (a country's plans too when its region "
            "is chosen). None: every destination."
        ),
    )
    plans = models.ManyToManyField(
        "catalog.Plan",
        blank=True,
        related_name="promotions",
        verbose_name=_("plans"),
        help_text=_("Only these plans. None: every plan."),
    )
    first_purchase_only = models.BooleanField(
        _("first purchase only"),
        default=False,
        help_text=_("Only for a customer who has never paid for an order."),
    )
    max_uses = models.PositiveIntegerField(
        _("uses in total"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_uses_per_customer = models.PositiveIntegerField(
        _("uses per customer"), null=True, blank=True, default=1, help_text=_("Empty: no limit.")
    )
    # Paid orders that used it; moved only by ``promotion_use_count``.
    uses_count = models.PositiveIntegerField(_("uses so far"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                condition=~Q(code=""),
                name="promotion_code_unique_in_any_case",
                violation_error_message=_("Another promotion has this code."),
            ),
            models.CheckConstraint(
                condition=Q(kind="percent", percent__gt=0, percent__lt=100)
                | Q(kind="fixed", percent__isnull=True),
                name="promotion_percent_only_for_a_percentage",
                violation_error_message=_(
                    "A percentage needs its percent (below 100); a fixed amount has none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="promotion_ends_after_it_starts",
                violation_error_message=_("The end must come after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def is_automatic(self) -> bool:
        return not self.code


class PromotionAmount(models.Model):
    """What a fixed-amount promotion takes off in one currency, VAT included.
    A currency without a row: the promotion does not apply when paying in it."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="amounts")
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount off"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["currency"]
        verbose_name = _("amount off")
        verbose_name_plural = _("amounts off")
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "currency"], name="promotion_amount_once_per_currency"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="promotion_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def clean(self) -> None:
        if self.currency not in settings.CURRENCIES or not is_currency(self.currency):
            raise ValidationError(
                {
                    "currency": _("The shop sells in %(offered)s.")
                    % {"offered": ", ".join(settings.CURRENCIES)}
                }
            )
        # Whole yen: JPY has no minor unit, so 100.50 JPY cannot be charged.
        if self.amount is not None and self.amount != self.amount.quantize(quantum(self.currency)):
            raise ValidationError(
                {
                    "amount": _("%(code)s has no smaller unit than %(unit)s.")
                    % {"code": self.currency, "unit": quantum(self.currency)}
                }
            )


class PromotionUse(models.Model):
    """One order's use of a promotion: held while the order waits for payment
    (so the limits count it), counted once paid, released if the checkout
    expires unpaid. The order points here (``orders.Order.promotion_use``)."""

    class Status(models.TextChoices):
        HELD = "held", _("Held for an unpaid order")
        COUNTED = "counted", _("Counted: the order was paid")
        RELEASED = "released", _("Released: the checkout expired unpaid")

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="uses")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotion_uses"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.HELD)
    created_at = models.DateTimeField(default=timezone.now)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["held", "counted", "released"]),
                name="promotion_use_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"use of {self.promotion_id}: {self.status}"

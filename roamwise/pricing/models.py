"""Pricing rules, per-plan overrides and the history of every price they set (ADR 0034).

A rule prices the plans it covers from their wholesale cost: a markup in per
cent and/or a fixed amount, rounded by a ``core.money.Rounding`` rule, then
kept between a floor and a ceiling. The most specific rule that covers a plan
wins (``SPECIFICITY``); a plan's override beats every rule. Nothing here
changes a price: ``services.prices_apply`` does, in one transaction, and writes
a ``PriceRun`` (who, when, why) with one ``PriceChange`` per plan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roamwise.core.models import TimeStampedModel
from roamwise.core.money import Rounding, is_currency, minor_units, quantum

from .rules import PlanFacts, RulePrice, rule_price


def base_currency() -> str:
    return str(settings.DEFAULT_CURRENCY)


class PricingRule(TimeStampedModel):
    """Which plans a markup covers, the markup, its rounding, floor and ceiling."""

    class Scope(models.TextChoices):
        ALL = "all", _("Every plan")
        PLAN_TYPE = "plan_type", _("A type of plan")
        SUPPLIER = "supplier", _("A supplier's plans")
        REGION = "region", _("A region and its countries")
        DESTINATION = "destination", _("One destination")

    class PlanType(models.TextChoices):
        LOCAL = "local", _("Local (one country)")
        REGIONAL = "regional", _("Regional")
        GLOBAL = "global", _("Global")
        UNLIMITED = "unlimited", _("Unlimited data")

    # The most specific scope wins; within one scope, the higher priority, then
    # the older rule.
    SPECIFICITY = {
        Scope.DESTINATION: 5,
        Scope.REGION: 4,
        Scope.SUPPLIER: 3,
        Scope.PLAN_TYPE: 2,
        Scope.ALL: 1,
    }

    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("applies to"), max_length=16, choices=Scope.choices)
    supplier = models.CharField(
        _("supplier"),
        max_length=32,
        blank=True,
        help_text=_("For a supplier's plans: its code, such as airalo."),
    )
    region = models.ForeignKey(
        "catalog.Destination",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "region"},
        help_text=_("For a region: its plans and the plans of each of its countries."),
    )
    destination = models.ForeignKey(
        "catalog.Destination",
        verbose_name=_("destination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For one destination: the plans sold for it."),
    )
    plan_type = models.CharField(
        _("type of plan"), max_length=16, blank=True, choices=PlanType.choices
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=base_currency,
        help_text=_("The rule prices the plans sold in this currency; its amounts are in it."),
    )
    markup_percent = models.DecimalField(
        _("markup (%)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("Added to the wholesale cost, in per cent of it."),
    )
    markup_fixed = models.DecimalField(
        _("fixed markup"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("Added to the wholesale cost after the percentage."),
    )
    rounding = models.CharField(
        _("rounding"), max_length=8, choices=Rounding.choices, default=Rounding.END_99
    )
    floor = models.DecimalField(
        _("floor"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("No price below this; empty for none."),
    )
    ceiling = models.DecimalField(
        _("ceiling"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("No price above this; empty for none."),
    )
    priority = models.SmallIntegerField(
        _("priority"),
        default=0,
        help_text=_("Between rules of the same scope, the higher priority wins."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pricing rule")
        verbose_name_plural = _("pricing rules")
        ordering = ["scope", "-priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["all", "plan_type", "supplier", "region", "destination"]),
                name="pricing_rule_scope_valid",
            ),
            models.CheckConstraint(
                condition=Q(floor__isnull=True)
                | Q(ceiling__isnull=True)
                | Q(floor__lte=models.F("ceiling")),
                name="pricing_rule_floor_not_above_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(markup_percent__gt=-100), name="pricing_rule_markup_above_minus_100"
            ),
            models.CheckConstraint(
                condition=Q(rounding__in=Rounding.values), name="pricing_rule_rounding_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="pricing_rule_currency_iso4217"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return self.SPECIFICITY[self.Scope(self.scope)]

    def covers(self, facts: PlanFacts) -> bool:
        """Whether the rule prices this plan (its scope, and the plan's currency)."""
        if not self.is_active or facts.currency != self.currency:
            return False
        if self.scope == self.Scope.ALL:
            return True
        if self.scope == self.Scope.DESTINATION:
            return facts.destination_id == self.destination_id
        if self.scope == self.Scope.REGION:
            return self.region_id in facts.region_ids
        if self.scope == self.Scope.SUPPLIER:
            return facts.supplier == self.supplier
        if self.plan_type == self.PlanType.UNLIMITED:
            return facts.unlimited
        return facts.plan_type == self.plan_type

    def price(self, cost: Decimal) -> RulePrice:
        """The price the rule gives a plan of this cost (in the rule's currency)."""
        return rule_price(
            cost=cost,
            currency=self.currency,
            percent=self.markup_percent,
            fixed=self.markup_fixed,
            rounding=self.rounding,
            floor=self.floor,
            ceiling=self.ceiling,
        )

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        needs = {
            self.Scope.SUPPLIER: ("supplier", bool(self.supplier)),
            self.Scope.REGION: ("region", self.region_id is not None),
            self.Scope.DESTINATION: ("destination", self.destination_id is not None),
            self.Scope.PLAN_TYPE: ("plan_type", bool(self.plan_type)),
        }
        for scope, (field, given) in needs.items():
            if self.scope == scope and not given:
                errors[field] = _("Choose the %(field)s this rule applies to.") % {
                    "field": _label(field)
                }
            elif self.scope != scope and given:
                errors[field] = _("Leave this empty: the rule does not apply by %(field)s.") % {
                    "field": _label(field)
                }
        known = bool(self.currency) and is_currency(self.currency)
        if not known:
            errors["currency"] = _("%(code)s is not an ISO 4217 currency code.") % {
                "code": self.currency or "''"
            }
        else:
            if self.rounding == Rounding.END_99 and minor_units(self.currency) < 2:
                errors["rounding"] = _("%(code)s has no cents: choose whole units.") % {
                    "code": self.currency
                }
            step = quantum(self.currency)
            for field in ("markup_fixed", "floor", "ceiling"):
                value = getattr(self, field)
                if value is not None and value != value.quantize(step):
                    errors[field] = _("%(code)s has no smaller unit than %(unit)s.") % {
                        "code": self.currency,
                        "unit": step,
                    }
        for field in ("floor", "ceiling"):
            value = getattr(self, field)
            if value is not None and value <= 0 and field not in errors:
                errors[field] = _("A price must be above zero.")
        if (
            self.floor is not None
            and self.ceiling is not None
            and self.floor > self.ceiling
            and "ceiling" not in errors
        ):
            errors["ceiling"] = _("The ceiling is below the floor: no price could meet both.")
        percent, fixed = self.markup_percent, self.markup_fixed
        if percent is not None and percent <= -100:
            errors["markup_percent"] = _("A markup of -100% or less leaves no price.")
        elif (
            percent is not None
            and fixed is not None
            and (percent, fixed) != (0, 0)
            and percent <= 0
            and fixed <= 0
        ):
            errors["markup_percent"] = _(
                "This markup takes every price below its wholesale cost; a plan may be "
                "sold below cost only by its own decision on the plan's page."
            )
        if errors:
            raise ValidationError(errors)


def _label(field: str) -> str:
    return str(PricingRule._meta.get_field(field).verbose_name)  # type: ignore[union-attr]


class PriceRun(models.Model):
    """One application of prices: by rules, by setting overrides, or typed by
    hand on a plan's page. Who, when, why."""

    class Kind(models.TextChoices):
        RULES = "rules", _("Pricing rules applied")
        OVERRIDE = "override", _("Override set or removed")
        TYPED = "typed", _("Price typed on the plan's page")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("price run")
        verbose_name_plural = _("price runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="price_run_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class PriceChange(models.Model):
    """A plan's price in one currency before and after a run, and what set it:
    its own price, or a price set for another currency on its page."""

    run = models.ForeignKey(
        PriceRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="changes"
    )
    plan = models.ForeignKey(
        "catalog.Plan", verbose_name=_("plan"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3)
    old_amount = models.DecimalField(_("old price"), max_digits=10, decimal_places=2)
    new_amount = models.DecimalField(_("new price"), max_digits=10, decimal_places=2)
    rule = models.ForeignKey(
        PricingRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What set the price, as it read at the time (a rule's name, "override").
    set_by = models.CharField(_("set by"), max_length=120)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-run__created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "plan", "currency"], name="price_change_once_per_run"
            ),
            models.CheckConstraint(
                condition=Q(new_amount__gt=0), name="price_change_new_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.old_amount} -> {self.new_amount} {self.currency}"

    @property
    def change(self) -> Decimal:
        return Decimal(self.new_amount) - Decimal(self.old_amount)


class PriceOverride(TimeStampedModel):
    """A price the retailer fixes for one plan, in its currency: it beats every
    rule. Set and removed through ``services.override_set`` (a price run)."""

    plan = models.OneToOneField(
        "catalog.Plan",
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        related_name="price_override",
    )
    amount = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("price override")
        verbose_name_plural = _("price overrides")
        ordering = ["plan"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="price_override_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="price_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.amount}"

"""Back-office forms of pricing: a rule, the confirmation of a preview, an override."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from roamwise.catalog.models import Plan

from . import selectors, services
from .models import PricingRule

PRICE_REASON = "price_reason"


class PricingRuleForm(forms.ModelForm):
    """A rule; the supplier is chosen from those the shop has packages of."""

    supplier = forms.ChoiceField(label=_("supplier"), required=False)

    class Meta:
        model = PricingRule
        fields = (
            "name",
            "is_active",
            "scope",
            "supplier",
            "region",
            "destination",
            "plan_type",
            "currency",
            "priority",
            "markup_percent",
            "markup_fixed",
            "rounding",
            "floor",
            "ceiling",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = selectors.supplier_codes()
        current = self.instance.supplier if self.instance else ""
        if current and current not in codes:
            codes.append(current)
        self.fields["supplier"].choices = [  # type: ignore[attr-defined]
            ("", "---------")
        ] + [(code, code) for code in codes]
        self.fields["currency"].widget.attrs["size"] = 4

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency", "")).strip().upper()


class ApplyPricesForm(forms.Form):
    """Confirms the preview shown: its fingerprint, and why prices change."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Kept with every price changed, in the price history."),
    )
    expected = forms.CharField(widget=forms.HiddenInput)


class OverrideForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Price"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("In the plans' currency. Leave empty to remove their override."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class TypedPriceForm(forms.ModelForm):
    """A plan's page: a price typed here is a price run of its own, kept in the
    price history with its reason (ADR 0034), and never below cost unless the
    plan may be sold below cost."""

    price_reason = forms.CharField(
        label=_("Reason for a change of price"),
        max_length=300,
        required=False,
        help_text=_(
            "Needed when the price, the currency or a price set for a currency changes: "
            "kept with the change in the price history."
        ),
    )

    class Meta:
        model = Plan
        exclude: tuple[str, ...] = ()  # the plan admin chooses the fields

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None:
            return cleaned  # a new plan: its first price, not a change
        changed = {"price", "currency"} & set(self.changed_data)
        if changed and not str(cleaned.get(PRICE_REASON, "")).strip():
            self.add_error(PRICE_REASON, _("Give the reason for this change of prices."))
        price = cleaned.get("price")
        if "price" in changed and price is not None:
            plan = Plan.objects.get(pk=self.instance.pk)
            plan.currency = cleaned.get("currency") or plan.currency
            # Allowed below cost on this very page: its decision is recorded on save.
            plan.sell_below_cost = bool(cleaned.get("sell_below_cost", plan.sell_below_cost))
            refused = services.typed_price_refusal(plan=plan, amount=price)
            if refused:
                self.add_error("price", refused)
        return cleaned


class TypedPlanPriceFormSet(forms.BaseInlineFormSet):
    """The prices set per currency on a plan's page: changed only with a reason."""

    def clean(self) -> None:
        super().clean()
        reason = str(self.data.get(PRICE_REASON, "")).strip()
        if self.instance.pk is not None and self.has_changed() and not reason:
            raise forms.ValidationError(
                _("Give the reason for this change of prices in the plan's form above.")
            )

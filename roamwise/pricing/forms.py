"""Back-office forms of pricing: a rule, the confirmation of a preview, an override."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import PricingRule


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

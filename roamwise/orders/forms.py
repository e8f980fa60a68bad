from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry
from django import forms

from roamwise.accounts.forms import PhoneField

COUNTRIES = sorted(
    ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries),
    key=lambda pair: pair[1],
)


def shown_amount(raw: str | None) -> Decimal | None:
    """The price the page showed, as it came back with the form; None if
    missing or unreadable (then nothing can match it, and the order is refused)."""
    try:
        amount = Decimal(raw or "")
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class CheckoutForm(forms.Form):
    """What checkout collects (ORD-02): name, billing address, contact number.
    Nothing ships, so no shipping address."""

    name = forms.CharField(
        label="Name on the bill",
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    line1 = forms.CharField(
        label="Address",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address, line 2",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label="Town or city",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = forms.ChoiceField(
        label="Country", choices=COUNTRIES, widget=forms.Select(attrs={"autocomplete": "country"})
    )
    phone = PhoneField(label="Contact number")


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund", max_digits=10, decimal_places=2, min_value=0.01
    )
    reason = forms.CharField(label="Reason", max_length=200)

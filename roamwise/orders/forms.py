from __future__ import annotations

import pycountry
from django import forms
from django.utils.translation import gettext, gettext_lazy

from roamwise.accounts.forms import PhoneField
from roamwise.core.countries import country_choices

COUNTRIES = sorted(
    ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries),
    key=lambda pair: pair[1],
)


def billing_country_choices() -> list[tuple[str, str]]:
    """The countries, after an empty choice: when neither an earlier order nor
    the connection tells the country, the customer picks it (the first
    country of the list would decide the VAT rate unseen)."""
    return [("", gettext("Choose your country")), *country_choices()]


class CheckoutForm(forms.Form):
    """What checkout collects (ORD-02): name, billing address, contact number.
    Nothing ships, so no shipping address."""

    name = forms.CharField(
        label=gettext_lazy("Name on the bill"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    line1 = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label=gettext_lazy("Address, line 2"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=gettext_lazy("Town or city"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        choices=billing_country_choices,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    phone = PhoneField(label=gettext_lazy("Contact number"))


def checkout_initial(*, last: dict[str, str] | None, country: str, phone: str) -> dict[str, str]:
    """What the billing form starts with: the details of the customer's last
    order (same name, same address), else the country of the connection
    (already "" unless the consent rules allow it) and the profile's phone."""
    if last:
        return last
    return {"country": country, "phone": phone}


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount to refund"), max_digits=10, decimal_places=2, min_value=0.01
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

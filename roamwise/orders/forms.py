from __future__ import annotations

from typing import Any

import pycountry
from django import forms
from django.urls import reverse
from django.utils.html import format_html
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
    # Accepting the terms, and the waiver EU law asks for before digital content
    # is supplied within the withdrawal period (Directive 2011/83/EU, art. 16(m)):
    # express consent to immediate supply and the acknowledgement that the right
    # of withdrawal is then lost. Both required: the eSIM is made at once.
    terms_version = forms.CharField(widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(
        error_messages={"required": gettext_lazy("Please accept the terms of sale to buy.")}
    )
    waive_withdrawal = forms.BooleanField(
        label=gettext_lazy(
            "I ask for my eSIM to be supplied immediately, and I acknowledge that I lose my "
            "right of withdrawal once it is delivered. The refund policy still applies."
        ),
        error_messages={
            "required": gettext_lazy(
                "We can deliver your eSIM at once only with your consent: please tick this box."
            )
        },
    )

    def __init__(self, *args: Any, terms_in_force: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms_in_force = terms_in_force
        self.fields["terms_version"].initial = terms_in_force
        terms_url = reverse("terms")
        self.fields["accept_terms"].label = format_html(
            gettext(
                'I have read and accept the <a href="{terms}">terms of sale</a> (version '
                '{version}), including the <a href="{refunds}">refund policy</a>.'
            ),
            terms=terms_url,
            version=terms_in_force,
            refunds=f"{terms_url}#refunds",
        )

    CONSENT_FIELDS = ("accept_terms", "waive_withdrawal")

    def billing_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if f.name not in self.CONSENT_FIELDS]

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CONSENT_FIELDS]

    def clean_terms_version(self) -> str:
        shown = str(self.cleaned_data["terms_version"])
        if shown != self.terms_in_force:
            raise forms.ValidationError(
                gettext(
                    "Our terms of sale changed while you were on this page: please read "
                    "version %(version)s and accept it."
                )
                % {"version": self.terms_in_force}
            )
        return shown


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

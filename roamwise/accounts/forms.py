from __future__ import annotations

from datetime import date

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from roamwise.core.geo import request_country

from . import services
from .models import User


def normalise_phone(raw: str) -> str:
    """Parse a phone number with ``phonenumbers`` and return it in E.164."""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise forms.ValidationError(
            gettext("Enter a valid phone number, for example +44 7911 123456.")
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(gettext("This phone number is not valid."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value: object) -> str:
        text = super().clean(value)
        return normalise_phone(text) if text else text


class StrictDateField(forms.DateField):
    """A date from text only: JSON numbers or lists are refused, not crashed on."""

    def to_python(self, value: object) -> date | None:
        if value is not None and not isinstance(value, str | date):
            raise forms.ValidationError(gettext("Enter a date as YYYY-MM-DD."), code="invalid")
        return super().to_python(value)


class SignupDetailsForm(forms.Form):
    """Extra sign-up fields, merged by allauth into its sign-up form (web and API).

    The age gate lives in validation: a person under the minimum age gets an
    error and nothing about them is saved (CHD-01).
    """

    phone = PhoneField(label=gettext_lazy("Mobile phone number"))
    date_of_birth = StrictDateField(
        label=gettext_lazy("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    parent_email = forms.EmailField(
        label=gettext_lazy("Parent or guardian's email (only if you are under 18)"),
        required=False,
    )

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(gettext("The date of birth is in the future."))
        if services.age_on(born, today) > 120:
            raise forms.ValidationError(gettext("Enter your real date of birth."))
        if services.age_on(born, today) < settings.MINIMUM_AGE:
            raise forms.ValidationError(
                gettext("Sorry, you must be at least %(MINIMUM_AGE)s to open an account.")
                % {"MINIMUM_AGE": settings.MINIMUM_AGE},
                code="under_minimum_age",
            )
        return born

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        born = cleaned.get("date_of_birth")
        parent_email = BaseUserManager.normalize_email(cleaned.get("parent_email") or "")
        cleaned["parent_email"] = parent_email
        if born and services.needs_parental_consent(born, timezone.localdate()):
            if not parent_email:
                self.add_error(
                    "parent_email",
                    gettext("Under 18, a parent or guardian must agree: give their email address."),
                )
            elif parent_email.lower() == (cleaned.get("email") or "").strip().lower():
                self.add_error("parent_email", gettext("Give your parent's address, not your own."))
        return cleaned

    def signup(self, request: HttpRequest, user: User) -> None:
        born = self.cleaned_data["date_of_birth"]
        parent_email = self.cleaned_data.get("parent_email") or None
        if not services.needs_parental_consent(born, timezone.localdate()):
            parent_email = None
        services.signup_complete(
            user=user,
            phone=self.cleaned_data["phone"],
            date_of_birth=born,
            parent_email=parent_email,
            country=request_country(request),
        )


class PhoneUpdateForm(forms.Form):
    phone = PhoneField(label=gettext_lazy("Mobile phone number"))

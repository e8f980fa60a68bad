from __future__ import annotations

from typing import Any

from django import forms

from .models import GPC_PURPOSES, OPTIONAL_PURPOSES, Objection, Purpose

DESCRIPTIONS = {
    Purpose.ANALYTICS: (
        "Count page views, time on page and clicks on this site to improve it. First-party "
        "only: no third party, no IP address kept (the country only, and only with your "
        "consent to location), a visitor id that changes every day. Raw events are deleted "
        "after 90 days."
    ),
    Purpose.PREFERENCES: "Remember display choices between visits, such as your language.",
    Purpose.MARKETING: "Send you offers by email and show promotions.",
    Purpose.LOCATION: (
        "Use the country of your IP address, for the page you are viewing only, to suggest "
        "plans for where you are; with analytics on, page views count it too. It is not "
        "stored otherwise. Turning it off changes nothing else."
    ),
    Purpose.PERSONALISATION: "Recommend plans from what you bought and browsed here.",
    Purpose.PARTNER_SHARING: "Share your contact details with partner networks for joint offers.",
}


class ConsentChoicesForm(forms.Form):
    """One switch per optional purpose; an unticked box is a refusal."""

    def __init__(self, *args: Any, gpc: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for purpose in OPTIONAL_PURPOSES:
            locked = gpc and purpose in GPC_PURPOSES
            self.fields[purpose] = forms.BooleanField(
                required=False,
                label=Purpose(purpose).label,
                help_text=DESCRIPTIONS[Purpose(purpose)],
                disabled=locked,
            )

    def choices(self) -> dict[str, bool]:
        return {
            name: bool(value)
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }


class ObjectionsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for scope in Objection:
            self.fields[scope.value] = forms.BooleanField(required=False, label=scope.label)

    def switches(self) -> dict[str, bool]:
        return {name: bool(value) for name, value in self.cleaned_data.items()}

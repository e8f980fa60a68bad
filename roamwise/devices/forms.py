from __future__ import annotations

from django import forms

from .selectors import IDENTIFIER_MAX_LENGTH, MODEL_MAX_LENGTH

# EID and IMEI are device identifiers: browsers must not keep them in form history.
_IDENTIFIER_ATTRS = {
    "autocomplete": "off",
    "inputmode": "numeric",
    "spellcheck": "false",
    "maxlength": str(IDENTIFIER_MAX_LENGTH),
}


class CompatibilityForm(forms.Form):
    """Parses the page's input only: the rules live in ``selectors.device_check``,
    so the page and the API refuse the same things with the same words."""

    model = forms.CharField(
        label="Device model",
        required=False,
        widget=forms.TextInput(
            attrs={
                "list": "device-models",
                "autocomplete": "off",
                "required": True,
                "maxlength": str(MODEL_MAX_LENGTH),
                "placeholder": "For example iPhone 15 or Galaxy S24",
            }
        ),
    )
    eid = forms.CharField(
        label="EID (optional)",
        required=False,
        help_text="32 digits. A device that shows an EID has an eSIM chip.",
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
    )
    imei = forms.CharField(
        label="IMEI (optional)",
        required=False,
        help_text="15 digits.",
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
    )

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy

from .selectors import IDENTIFIER_MAX_LENGTH, MODEL_MAX_LENGTH
from .validators import eid_normalise, imei_normalise

# EID and IMEI are device identifiers: browsers must not keep them in form history.
_IDENTIFIER_ATTRS = {
    "autocomplete": "off",
    "inputmode": "numeric",
    "spellcheck": "false",
    "maxlength": str(IDENTIFIER_MAX_LENGTH),
}


class CompatibilityForm(forms.Form):
    """Parses the page's input only: the rules live in ``selectors.device_check``,
    so the page and the API refuse the same things with the same words.

    People type and paste more loosely than API clients send: full-width
    letters, no-break spaces, typographic dashes. Those are tidied here.
    """

    model = forms.CharField(
        label=gettext_lazy("Device model"),
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
        label=gettext_lazy("EID (optional)"),
        required=False,
        help_text=gettext_lazy("32 digits. A device that shows an EID has an eSIM chip."),
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
    )
    imei = forms.CharField(
        label=gettext_lazy("IMEI (optional)"),
        required=False,
        help_text=gettext_lazy("15 digits."),
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
    )

    def clean_model(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["model"])

    def clean_eid(self) -> str:
        return eid_normalise(self.cleaned_data["eid"])

    def clean_imei(self) -> str:
        return imei_normalise(self.cleaned_data["imei"])

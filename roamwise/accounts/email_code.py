"""The form that takes the email verification code (allauth's, by code).

Kept apart from ``forms.py`` for the reason ``password_reset`` is: allauth's
forms module imports that one, so importing allauth's forms there would be
circular.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import ConfirmEmailVerificationCodeForm


class EmailVerificationCodeForm(ConfirmEmailVerificationCodeForm):
    """Six digits: a phone shows its number pad, and fills the code in from
    the email where it can."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        )

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest, HttpResponse

from roamwise.vault import services as vault

from . import selectors
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        if isinstance(user, User) and selectors.is_awaiting_parental_consent(user):
            # CHD-02: the account exists but opens only once a parent agrees.
            if kwargs.get("signup") and not selectors.has_verified_email(user):
                # At sign-up, let allauth's mandatory verification stage send the
                # child's confirmation email; that stage stops the login itself.
                return None
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return headed_redirect_response("accounts:awaiting_parental_consent")
        return None


class MFAAdapter(DefaultMFAAdapter):
    """TOTP seeds and recovery-code seeds are stored encrypted (AES-256-GCM
    under the keyring's key-encryption key), never in clear."""

    def encrypt(self, text: str) -> str:
        return vault.seal_system_secret(text, "mfa")

    def decrypt(self, encrypted_text: str) -> str:
        if not vault.is_system_secret(encrypted_text):
            return encrypted_text  # written before encryption was turned on
        return vault.open_system_secret(encrypted_text, "mfa")

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.core.ratelimit import respond_429
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from roamwise.core.geo import client_ip
from roamwise.notifications import services as notifications
from roamwise.vault import services as vault

from . import selectors, services
from .models import User

# allauth's emails about a change to the account's security; the rest
# (verification, password reset links, codes) are plain account emails.
SECURITY_TEMPLATES = ("password_changed", "password_set", "email_changed", "email_deleted")


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth email goes through the notifications app: branded,
        recorded in the outbox, sent by a job after commit with retries."""
        ctx = {"email": email, "current_site": get_current_site(allauth_context.request), **context}
        ctx.pop("request", None)
        kind = "security" if template_prefix.endswith(SECURITY_TEMPLATES) else "account"
        user = context.get("user")
        if isinstance(user, User) and user.pk:
            notifications.notify(
                user=user, kind=kind, template=template_prefix, context=ctx, to=email
            )
        else:
            # No account behind the address (allauth's "unknown account" emails).
            notifications.notify_address(
                to=email, kind="account", template=template_prefix, context=ctx
            )

    def send_password_reset_mail(self, user: Any, email: str, context: dict) -> None:
        """Never to an address its owner has not verified: one set by someone
        else (staff, an attacker with the account) would take the account over."""
        if not (isinstance(user, User) and services.password_reset_allowed(user=user, email=email)):
            return
        super().send_password_reset_mail(user, email, context)

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            # A change staff asked for completes only here, by the address's owner.
            services.email_change_confirmed(email_address=email_address)
        return confirmed

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

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """A locked-out sign-in identifier answers 429 with Retry-After, by form
        and by API alike, instead of allauth's form error (ACC-04, USE-05)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code != "too_many_login_attempts":
                raise
            raise ImmediateHttpResponse(respond_429(request)) from exc

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        if isinstance(user, User):
            # Every sign-in, by form or headless API, passes here (AUT-01).
            services.login_record(
                user=user,
                user_agent=request.headers.get("User-Agent", ""),
                ip=client_ip(request),
            )


class MFAAdapter(DefaultMFAAdapter):
    """TOTP seeds and recovery-code seeds are stored encrypted (AES-256-GCM
    under the keyring's key-encryption key), never in clear."""

    def encrypt(self, text: str) -> str:
        return vault.seal_system_secret(text, "mfa")

    def decrypt(self, encrypted_text: str) -> str:
        if not vault.is_system_secret(encrypted_text):
            return encrypted_text  # written before encryption was turned on
        return vault.open_system_secret(encrypted_text, "mfa")

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailConfirmation
from allauth.account.utils import get_next_redirect_url, user_display
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.core.ratelimit import respond_429
from allauth.headless.adapter import DefaultHeadlessAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from roamwise.catalog.currency import CURRENCY_SESSION_KEY
from roamwise.core.geo import client_ip
from roamwise.datamap.privacy import pending_session_note
from roamwise.notifications import services as notifications
from roamwise.vault import services as vault

from . import selectors, services
from .models import User

# allauth's emails about a change to the account's security; the rest
# (verification, password reset links, codes) are plain account emails.
SECURITY_TEMPLATES = ("password_changed", "password_set", "email_changed", "email_deleted")


@dataclasses.dataclass(frozen=True)
class Site:
    """What allauth's templates call ``current_site``: the configured name and
    address, never the Host header of the request that caused the email."""

    name: str
    domain: str


def configured_site() -> Site:
    return Site(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


def public_uid(user: User) -> str:
    """How a password reset link names its account: the public id."""
    return user.public_id.hex


def _reset_from_key_path(key: str) -> str:
    # allauth's own trick: its URL takes the key in two parts.
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
    return path.replace("UID-KEY", quote(key))


# Where each link allauth puts in an email points: on SITE_URL.
SITE_LINKS: dict[str, Callable[..., str]] = {
    "account_confirm_email": lambda key: reverse("account_confirm_email", args=[key]),
    "account_reset_password": lambda: reverse("account_reset_password"),
    "account_reset_password_from_key": _reset_from_key_path,
    "account_signup": lambda: reverse("account_signup"),
}


# Where a sign-up was going (a checkout's plan), kept in the browser's session
# until the address is verified, so that verifying and signing in lead back there.
NEXT_AFTER_VERIFICATION = "account_next_after_verification"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        saved = super().save_user(request, user, form, commit)
        next_url = get_next_redirect_url(request)  # only a URL of this site
        if next_url:
            request.session[NEXT_AFTER_VERIFICATION] = next_url
        return saved

    def get_email_verification_redirect_url(self, email_address: Any) -> str:
        """Back to where the sign-up was going: straight there if signed in,
        else through the sign-in page, which passes it on."""
        next_url = self.request.session.pop(NEXT_AFTER_VERIFICATION, None)
        if not next_url:
            return super().get_email_verification_redirect_url(email_address)
        if self.request.user.is_authenticated:
            return str(next_url)
        return f"{reverse('account_login')}?{urlencode({'next': next_url})}"

    def send_confirmation_mail(
        self, request: HttpRequest, emailconfirmation: Any, signup: bool
    ) -> None:
        """A code for a sign-up or sign-in waiting in this browser; a link for
        a stored confirmation (an address staff asked to change to), whose
        owner has no session waiting for a code."""
        if not isinstance(emailconfirmation, EmailConfirmation):
            user = emailconfirmation.email_address.user
            if isinstance(user, User) and user.pk and not request.user.is_authenticated:
                # The session waiting for the code holds the address: an
                # erasure must find it (a parent refusing a child's account).
                if not request.session.session_key:
                    request.session.save()
                pending_session_note(user_pk=user.pk, session_key=str(request.session.session_key))
            super().send_confirmation_mail(request, emailconfirmation, signup)
            return
        ctx = {
            "user": emailconfirmation.email_address.user,
            "key": emailconfirmation.key,
            "activate_url": self.get_email_confirmation_url(request, emailconfirmation),
        }
        self.send_mail(
            "account/email/email_confirmation", emailconfirmation.email_address.email, ctx
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth email goes through the notifications app: branded,
        recorded in the outbox, sent by a job after commit with retries."""
        ctx = {"email": email, **context, "current_site": configured_site()}
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
        else (staff, an attacker with the account) would take the account over.

        allauth's key names the account by its integer pk; ours by its public
        id (checked in ``password_reset``), so no pk leaves."""
        if not (isinstance(user, User) and services.password_reset_allowed(user=user, email=email)):
            return
        uid = public_uid(user)
        context = {
            **context,
            "uid": uid,
            "password_reset_url": self.get_reset_password_from_key_url(f"{uid}-{context['key']}"),
        }
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
        if isinstance(user, User) and selectors.is_awaiting_parental_consent(user):
            # CHD-02, whatever stage led here (a verification code typed at
            # sign-up resumes the login without passing pre_login again).
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            raise ImmediateHttpResponse(
                headed_redirect_response("accounts:awaiting_parental_consent")
            )
        super().login(request, user)
        if isinstance(user, User):
            # The customer's language from now on: the one they chose before,
            # else the one they are reading the shop in (ADR 0026).
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            else:
                services.user_language_set(user=user, language=translation.get_language() or "")
            # Every sign-in, by form or headless API, passes here (AUT-01).
            services.login_record(
                user=user,
                user_agent=request.headers.get("User-Agent", ""),
                ip=client_ip(request),
            )
            # The currency chosen on the profile follows the customer to this
            # browser, without a query on every page after (ADR 0027).
            currency = services.profile_currency(user=user)
            if currency:
                request.session[CURRENCY_SESSION_KEY] = currency


class HeadlessAdapter(DefaultHeadlessAdapter):
    """The API's user payload and the links of allauth's emails."""

    def get_frontend_url(self, urlname: str, **kwargs: Any) -> str | None:
        # Absolute links come from SITE_URL, never from the request's Host.
        found = super().get_frontend_url(urlname, **kwargs)
        if found or urlname not in SITE_LINKS:
            return found
        return settings.SITE_URL + SITE_LINKS[urlname](**kwargs)

    def get_user_dataclass(self) -> Any:
        """allauth's user payload with ``id`` the public id (a UUID string):
        the integer pk never leaves the server. The spec says so too."""
        fields = []
        for field in dataclasses.fields(super().get_user_dataclass()):
            kind: Any = field.type
            metadata = dict(field.metadata)
            if field.name == "id":
                kind = str | None
                metadata = {"description": "The user's public id.", "example": str(uuid.uuid4())}
            fields.append((field.name, kind, dataclasses.field(metadata=metadata)))
        return dataclasses.make_dataclass("User", fields)

    def user_as_dataclass(self, user: Any) -> Any:
        found = super().user_as_dataclass(user)
        public_id = str(user.public_id) if isinstance(user, User) and user.pk else None
        return dataclasses.replace(found, id=public_id)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP seeds and recovery-code seeds are stored encrypted (AES-256-GCM
    under the keyring's key-encryption key), never in clear."""

    def get_public_key_credential_user_entity(self, user: Any) -> dict:
        # WebAuthn's user handle goes to the browser and the security key:
        # the public id, not allauth's base-36 integer pk.
        return {
            "id": public_uid(user).encode("utf8"),
            "display_name": user_display(user),
            "name": self._get_user_identifier(user),
        }

    def encrypt(self, text: str) -> str:
        return vault.seal_system_secret(text, "mfa")

    def decrypt(self, encrypted_text: str) -> str:
        if not vault.is_system_secret(encrypted_text):
            return encrypted_text  # written before encryption was turned on
        return vault.open_system_secret(encrypted_text, "mfa")

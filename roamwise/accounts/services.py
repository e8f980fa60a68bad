"""Account writes: profiles, the age gate's parental consent, and closure."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import suppress
from datetime import date, timedelta

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core.geo import country_of
from roamwise.kernel.residency import region_for_country, residency_assign
from roamwise.notifications import services as notifications

from .devices import device_info
from .errors import AccountAlreadyClosed, ConsentLinkExpired, ConsentLinkInvalid
from .models import AccountClosure, LoginEvent, ParentalConsent, Profile, StaffEmailChange, User


def age_on(date_of_birth: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - int(before_birthday)


def needs_parental_consent(date_of_birth: date, today: date) -> bool:
    return age_on(date_of_birth, today) < settings.ADULT_AGE


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def profile_create(*, user: User, phone: str, date_of_birth: date) -> Profile:
    return Profile.objects.create(user=user, phone=phone, date_of_birth=date_of_birth)


def profile_update_phone(*, user: User, phone: str) -> Profile:
    profile = user.profile
    profile.phone = phone
    profile.save(update_fields=["phone", "phone_index", "updated_at"])
    return profile


def profile_currency(*, user: User) -> str:
    return str(Profile.objects.filter(user=user).values_list("currency", flat=True).first() or "")


def profile_update_currency(*, user: User, currency: str) -> bool:
    """Remember the customer's currency (already checked as one the shop sells
    in); False when the account has no profile to keep it on."""
    return bool(
        Profile.objects.filter(user=user).update(currency=currency, updated_at=timezone.now())
    )


def user_language_set(*, user: User, language: str) -> bool:
    """Keep ``language`` as the customer's language (pages after sign-in, emails).
    False, and nothing kept, for a code that is not one of the shop's languages."""
    if language not in dict(settings.LANGUAGES):
        return False
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return True


def signup_complete(
    *,
    user: User,
    phone: str,
    date_of_birth: date,
    parent_email: str | None,
    country: str = "",
) -> Profile:
    """Called by the sign-up form once allauth has saved the user.

    The age gate itself (under the minimum age: refused, nothing saved) runs
    in the form's validation, before any row exists. ``country``, where the
    sign-up came from (its IP address, never stored), sets the region the
    customer's data is kept in when it is not the deployment's own (RET-08).
    """
    with transaction.atomic():
        profile = profile_create(user=user, phone=phone, date_of_birth=date_of_birth)
        region = region_for_country(country)  # "" (unknown): the deployment's own
        if region != settings.DATA_REGION:
            residency_assign(user=user, region=region)
        if needs_parental_consent(date_of_birth, timezone.localdate()):
            if not parent_email:
                raise ValueError("a minor's sign-up needs a parent's email address")
            parental_consent_request(child=user, parent_email=parent_email)
    return profile


def parental_consent_request(*, child: User, parent_email: str) -> ParentalConsent:
    token = secrets.token_urlsafe(32)
    consent = ParentalConsent.objects.create(
        child=child,
        parent_email=parent_email,
        token_hash=_hash_token(token),
        expires_at=timezone.now() + timedelta(days=settings.PARENTAL_CONSENT_DAYS),
    )
    link = settings.SITE_URL + reverse("parental_consent", args=[token])
    context = {
        "child_username": child.username,
        "link": link,
        "days": settings.PARENTAL_CONSENT_DAYS,
        "site_name": settings.SITE_NAME,
    }
    # Sealed with the child's key: erasing the account erases the email too.
    notifications.notify_address(
        to=parent_email,
        kind="parental_consent",
        template="accounts/email/parental_consent",
        context=context,
        key_subject=child.public_id,
    )
    return consent


def parental_consent_get(*, token: str) -> ParentalConsent:
    consent = (
        ParentalConsent.objects.select_related("child")
        .filter(token_hash=_hash_token(token))
        .first()
    )
    if consent is None:
        raise ConsentLinkInvalid(gettext("This consent link is not valid."))
    return consent


def parental_consent_grant(*, token: str) -> ParentalConsent:
    consent = parental_consent_get(token=token)
    if consent.status == ParentalConsent.Status.GRANTED:
        return consent
    if consent.expires_at <= timezone.now():
        raise ConsentLinkExpired(gettext("This consent link has expired."))
    now = timezone.now()
    ParentalConsent.objects.filter(pk=consent.pk, status=ParentalConsent.Status.PENDING).update(
        status=ParentalConsent.Status.GRANTED, decided_at=now, updated_at=now
    )
    consent.refresh_from_db()
    return consent


def parental_consent_refuse(*, token: str) -> User:
    """The parent says no: the child's account stops working at once and is
    due for erasure now. Returns the child, whom the caller erases at once
    (``rights.parent_decision``); should that fail, the sweep of closed
    accounts erases it. Erasure lives in ``rights``, which apps never import.
    """
    consent = parental_consent_get(token=token)
    if consent.status == ParentalConsent.Status.GRANTED:
        raise ConsentLinkInvalid(
            gettext("Consent was already granted; use the account's closing page.")
        )
    child = consent.child
    # A minimal grace: the closure must end after it starts.
    with suppress(AccountAlreadyClosed):
        account_close(user=child, grace=timedelta(seconds=1))
    return child


def _end_all_sessions(user: User) -> None:
    # Every signed-in session is tracked by allauth's user sessions; ending one
    # deletes it from the session store. An inactive user would be refused by
    # the authentication backend anyway, so this is belt and braces.
    for user_session in UserSession.objects.filter(user=user):
        user_session.end()


def account_close(*, user: User, grace: timedelta | None = None) -> AccountClosure:
    """Close the account now and schedule its personal data for erasure (ACC-05)."""
    now = timezone.now()
    if grace is None:
        grace = timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
        if updated != 1:
            raise AccountAlreadyClosed(gettext("This account is already closed."))
        closure = AccountClosure.objects.create(user=user, closed_at=now, delete_after=now + grace)
    _end_all_sessions(user)
    return closure


def login_record(*, user: User, user_agent: str, ip: str) -> LoginEvent:
    """Write the security log of a sign-in (AUT-01). The IP address gives the
    country and is then dropped; the User-Agent gives browser, OS and device kind."""
    info = device_info(user_agent)
    return LoginEvent.objects.create(
        user=user,
        browser_family=info.browser_family,
        os_family=info.os_family,
        device_type=info.device_type,
        country=country_of(ip),
    )


# --- Staff changing a customer's sign-in email (ACC-04) ----------------------------


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def email_change_by_staff(
    *, user: User, new_email: str, staff: User, request: HttpRequest
) -> StaffEmailChange:
    """Staff asked for a customer's sign-in email to change.

    Nothing changes yet: the new address is added unverified, its owner is sent
    the confirmation link, and the current address is told. The new address
    becomes the sign-in (primary) address only when the link is followed
    (``email_change_confirmed``); a password reset never goes to it before. An
    earlier change still waiting is replaced. The caller writes the audit row.
    """
    with transaction.atomic():
        waiting = StaffEmailChange.objects.filter(user=user, confirmed_at__isnull=True)
        EmailAddress.objects.filter(
            pk__in=waiting.values("email_address_id"), verified=False, primary=False
        ).delete()
        address = EmailAddress.objects.create(
            user=user, email=new_email, verified=False, primary=False
        )
        change = StaffEmailChange.objects.create(
            user=user, email_address=address, requested_by_id=staff.pk
        )
        # By link, not by code: the owner has no session waiting for one.
        EmailConfirmation.create(address).send(request)
        if user.email:
            notifications.notify(
                user=user,
                kind="security",
                template="accounts/email/email_change_requested",
                context={"new_email": _masked(new_email), "site_name": settings.SITE_NAME},
                to=user.email,
            )
    return change


def email_change_confirmed(*, email_address: EmailAddress) -> bool:
    """Its owner confirmed an address staff asked to change to: it becomes the
    sign-in address, the old ones go, and the old address is told. False when
    the address was not one staff asked for (a customer's own second address)."""
    with transaction.atomic():
        change = (
            StaffEmailChange.objects.select_for_update()
            .filter(email_address=email_address, confirmed_at__isnull=True)
            .first()
        )
        if change is None or not email_address.verified:
            return False
        user = change.user
        old_email = user.email
        email_address.set_as_primary()  # also sets user.email
        EmailAddress.objects.filter(user=user).exclude(pk=email_address.pk).delete()
        StaffEmailChange.objects.filter(pk=change.pk).update(confirmed_at=timezone.now())
        if old_email and old_email.lower() != email_address.email.lower():
            notifications.notify(
                user=user,
                kind="security",
                template="accounts/email/email_change_done",
                context={
                    "new_email": _masked(email_address.email),
                    "site_name": settings.SITE_NAME,
                },
                to=old_email,
            )
    return True


def password_reset_allowed(*, user: User, email: str) -> bool:
    """A reset link goes only to an address its owner has verified (ACC-04)."""
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()

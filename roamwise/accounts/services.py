"""Account writes: profiles, the age gate's parental consent, and closure."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from roamwise.vault import services as vault

from .errors import AccountAlreadyClosed, ConsentLinkExpired, ConsentLinkInvalid
from .models import AccountClosure, ParentalConsent, Profile, User


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


def signup_complete(
    *, user: User, phone: str, date_of_birth: date, parent_email: str | None
) -> Profile:
    """Called by the sign-up form once allauth has saved the user.

    The age gate itself (under the minimum age: refused, nothing saved) runs
    in the form's validation, before any row exists.
    """
    with transaction.atomic():
        profile = profile_create(user=user, phone=phone, date_of_birth=date_of_birth)
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
    link = settings.SITE_URL + reverse("accounts:parental_consent", args=[token])
    context = {
        "child_username": child.username,
        "link": link,
        "days": settings.PARENTAL_CONSENT_DAYS,
        "site_name": settings.SITE_NAME,
    }
    subject = f"[{settings.SITE_NAME}] Your consent is needed for {child.username}'s account"
    body = render_to_string("accounts/email/parental_consent.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [parent_email])
    )
    return consent


def parental_consent_get(*, token: str) -> ParentalConsent:
    consent = (
        ParentalConsent.objects.select_related("child")
        .filter(token_hash=_hash_token(token))
        .first()
    )
    if consent is None:
        raise ConsentLinkInvalid("This consent link is not valid.")
    return consent


def parental_consent_grant(*, token: str) -> ParentalConsent:
    consent = parental_consent_get(token=token)
    if consent.status == ParentalConsent.Status.GRANTED:
        return consent
    if consent.expires_at <= timezone.now():
        raise ConsentLinkExpired("This consent link has expired.")
    now = timezone.now()
    ParentalConsent.objects.filter(pk=consent.pk, status=ParentalConsent.Status.PENDING).update(
        status=ParentalConsent.Status.GRANTED, decided_at=now, updated_at=now
    )
    consent.refresh_from_db()
    return consent


def parental_consent_refuse(*, token: str) -> None:
    """The parent says no: the child's account and everything in it goes at once."""
    consent = parental_consent_get(token=token)
    if consent.status == ParentalConsent.Status.GRANTED:
        raise ConsentLinkInvalid("Consent was already granted; use the account's closing page.")
    account_delete(user=consent.child)


def account_delete(*, user: User) -> None:
    """Delete an account: its data key first, so that every copy of its
    encrypted fields (backups included) is unreadable, then its rows.

    The full erasure through the data map (records kept by law, anonymised
    rows) replaces this when the rights work lands; today an account's rows
    all cascade from the user.
    """
    _end_all_sessions(user)
    vault.shred(user.public_id)
    user.delete()


def closed_accounts_due(*, now: datetime | None = None) -> list[User]:
    moment = now or timezone.now()
    return list(User.objects.filter(closure__delete_after__lte=moment).order_by("pk"))


def closed_accounts_sweep(*, dry_run: bool = False, now: datetime | None = None) -> int:
    """Delete the accounts whose closure grace period has ended (ACC-05, RET-01)."""
    due = closed_accounts_due(now=now)
    if not dry_run:
        for user in due:
            account_delete(user=user)
    return len(due)


def _end_all_sessions(user: User) -> None:
    # Every signed-in session is tracked by allauth's user sessions; ending one
    # deletes it from the session store. An inactive user would be refused by
    # the authentication backend anyway, so this is belt and braces.
    for user_session in UserSession.objects.filter(user=user):
        user_session.end()


def account_close(*, user: User) -> AccountClosure:
    """Close the account now and schedule its personal data for deletion (ACC-05)."""
    now = timezone.now()
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
        if updated != 1:
            raise AccountAlreadyClosed("This account is already closed.")
        closure = AccountClosure.objects.create(
            user=user,
            closed_at=now,
            delete_after=now + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS),
        )
    _end_all_sessions(user)
    return closure

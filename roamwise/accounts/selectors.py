from __future__ import annotations

import uuid
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone

from .models import LoginEvent, ParentalConsent, User


def is_awaiting_parental_consent(user: User) -> bool:
    return ParentalConsent.objects.filter(
        child_id=user.pk, status=ParentalConsent.Status.PENDING
    ).exists()


def is_closed(user: User) -> bool:
    return hasattr(user, "closure")


def customers_reachable() -> QuerySet[User]:
    """Customers whose account works: the audience of mailings to every
    customer (policy changes, announcements). A locked account is not a
    customer yet, or any more (CHD-02, ACC-05)."""
    return (
        User.objects.filter(is_active=True, is_staff=False, closure__isnull=True)
        .exclude(parental_consent__status=ParentalConsent.Status.PENDING)
        .order_by("pk")
    )


def has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def login_history(*, user: User, limit: int = 20) -> list[LoginEvent]:
    return list(LoginEvent.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def closed_accounts_due(*, now: datetime | None = None) -> QuerySet[User]:
    """Closed accounts whose grace period has ended, by primary key: the
    retention sweep erases them through ``rights.erasure.erase_subject``
    (ACC-05, RET-01)."""
    moment = now or timezone.now()
    return User.objects.filter(closure__delete_after__lte=moment).order_by("pk")


def user_by_public_id(public_id: str) -> User | None:
    """The account a link names by its public id (hex or dashed), if any."""
    try:
        parsed = uuid.UUID(public_id)
    except (ValueError, TypeError):
        return None
    return User.objects.filter(public_id=parsed).first()


def unconsented_minors_due(*, now: datetime | None = None) -> QuerySet[User]:
    """Minors' accounts whose parent never answered before the consent link
    expired (CHD-02): the account never opened and is not kept; the retention
    sweep erases it through ``rights.erasure.erase_subject``."""
    moment = now or timezone.now()
    return User.objects.filter(
        parental_consent__status=ParentalConsent.Status.PENDING,
        parental_consent__expires_at__lte=moment,
    ).order_by("pk")

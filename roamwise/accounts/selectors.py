from __future__ import annotations

from allauth.account.models import EmailAddress

from .models import ParentalConsent, User


def is_awaiting_parental_consent(user: User) -> bool:
    return ParentalConsent.objects.filter(
        child_id=user.pk, status=ParentalConsent.Status.PENDING
    ).exists()


def is_closed(user: User) -> bool:
    return hasattr(user, "closure")


def has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()

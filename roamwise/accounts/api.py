from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.schemas import ErrorOut

router = Router(tags=["account"])


class MeOut(Schema):
    id: uuid.UUID
    username: str
    email: str
    email_verified: bool
    phone: str | None
    mfa_enabled: bool


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut},
    auth=[session_token_auth, django_auth],
    summary="The signed-in customer",
)
def me(request: HttpRequest) -> MeOut:
    user = authenticated_user(request)
    profile = getattr(user, "profile", None)
    return MeOut(
        id=user.public_id,
        username=user.username,
        email=user.email,
        email_verified=EmailAddress.objects.filter(
            user=user, email=user.email, verified=True
        ).exists(),
        phone=profile.phone if profile else None,
        mfa_enabled=is_mfa_enabled(user),
    )

"""Consent and objections over the API, for the signed-in customer (source: api)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth
from pydantic import ConfigDict

from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.schemas import Boolean, ErrorOut

from . import selectors, services
from .models import Source

router = Router(tags=["consent"], auth=[session_token_auth, django_auth])


class ChoicesIn(Schema):
    """Only the purposes to change; each true (grant) or false (withdraw)."""

    model_config = ConfigDict(extra="forbid")

    analytics: Boolean | None = None
    preferences: Boolean | None = None
    marketing: Boolean | None = None
    location: Boolean | None = None
    personalisation: Boolean | None = None
    partner_sharing: Boolean | None = None


class ObjectionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    analytics: Boolean | None = None
    personalisation: Boolean | None = None
    marketing: Boolean | None = None
    restriction: Boolean | None = None


class RecordOut(Schema):
    purpose: str
    granted: bool
    source: str
    policy_version: str
    created_at: datetime


class ConsentOut(Schema):
    choices: dict[str, bool | None]
    effective: dict[str, bool]
    objections: dict[str, bool]
    policy_version: str
    history: list[RecordOut]


def _consent_out(user: object) -> ConsentOut:
    return ConsentOut(
        choices=selectors.consent_choices(user=user),
        effective=selectors.consent_state(user=user),
        objections=selectors.objections_of(user=user),
        policy_version=selectors.current_policy_version(),
        history=[
            RecordOut.model_validate(r, from_attributes=True)
            for r in selectors.consent_history(user=user)
        ],
    )


@router.get("/consent", response={200: ConsentOut, 401: ErrorOut}, summary="Your consent choices")
def consent_get(request: HttpRequest) -> ConsentOut:
    return _consent_out(authenticated_user(request))


@router.put(
    "/consent",
    response={200: ConsentOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Grant or withdraw consent per purpose",
)
def consent_update(request: HttpRequest, payload: ChoicesIn) -> ConsentOut:
    user = authenticated_user(request)
    choices = {k: v for k, v in payload.model_dump().items() if v is not None}
    services.consent_choices_save(choices=choices, source=Source.API, user=user)
    return _consent_out(user)


@router.put(
    "/consent/objections",
    response={200: ConsentOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Object to or restrict processing, or lift it",
)
def objections_update(request: HttpRequest, payload: ObjectionsIn) -> ConsentOut:
    user = authenticated_user(request)
    for scope, active in payload.model_dump().items():
        if active is not None:
            services.objection_set(user=user, scope=scope, active=active)
    return _consent_out(user)

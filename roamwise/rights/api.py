"""Data-subject requests over the API: make one, list and read your own, and
download your export; anyone may send a request by email (verified first)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.middleware import body_limit_raise
from roamwise.core.schemas import Boolean, ErrorOut
from roamwise.core.uploads import base64_length, json_body_limit

from . import deadlines, selectors
from .errors import (
    EvidenceRejected,
    InvalidRequest,
    NoChange,
    NotAnExport,
    ReauthenticationNeeded,
)
from .evidence import Upload
from .export import export_build, export_zip
from .models import DataRequest, RequestKind, RequestStatus
from .services import customer, public

router = Router(tags=["privacy rights"])
AUTH = [session_token_auth, django_auth]
# Some visible character, and no control characters but tabs and line breaks.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LINE = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
# A subset of what Django's EmailValidator accepts, so that a valid request is never refused.
EMAIL = (
    r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,32}){0,3}"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,12}$"
)
FIELD = r"^[a-z_]+\.[A-Za-z]+\.[a-z_]+$"
KindName = Literal["access", "export", "correction", "erasure", "restriction", "objection"]
ObjectionScope = Literal["analytics", "personalisation", "marketing"]
ZIP_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "A ZIP: data.json, index.html, schema.json and files/",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class EvidenceIn(Schema):
    filename: str = Field(min_length=1, max_length=255, pattern=LINE)
    content_type: str = Field(min_length=1, max_length=100, pattern=LINE)
    # The largest file RIGHTS_EVIDENCE_MAX_BYTES allows, in base64.
    content_base64: str = Field(
        min_length=1, max_length=base64_length(settings.RIGHTS_EVIDENCE_MAX_BYTES)
    )


class RequestIn(Schema):
    kind: KindName
    details: str | None = Field(default=None, max_length=5000, pattern=TEXT)
    fields: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Correction: the fields that are wrong, as app.Model.field.",
    )
    scope: ObjectionScope | None = Field(default=None, description="Objection: what you object to.")
    active: Boolean = Field(default=True, description="Objection or restriction: on, or lift it.")
    attachments: list[EvidenceIn] = Field(
        default_factory=list, max_length=settings.RIGHTS_EVIDENCE_MAX_COUNT
    )


class PublicRequestIn(Schema):
    email: str = Field(max_length=254, pattern=EMAIL, description="We email a link to verify it.")
    kind: KindName
    relationship: Literal["self", "parent"] = "self"
    child: str | None = Field(
        default=None,
        max_length=254,
        pattern=LINE,
        description="A parent's request: the child's username or email address.",
    )
    details: str | None = Field(default=None, max_length=5000, pattern=TEXT)
    jurisdiction: str = Field(
        default_factory=deadlines.default,
        json_schema_extra={"enum": list(settings.RIGHTS_RESPONSE_PERIODS)},
        description="Where you live: it sets the deadline of our answer.",
    )


class RequestOut(Schema):
    id: uuid.UUID
    reference: str
    kind: str
    status: str
    received_at: str
    due_at: str
    completed_at: str | None
    extended: bool
    download_url: str | None = None
    outcome: dict[str, Any]


class PublicRequestOut(Schema):
    reference: str
    message: str


def request_out(found: DataRequest) -> RequestOut:
    download = None
    if found.kind in (RequestKind.ACCESS, RequestKind.EXPORT) and (
        found.status == RequestStatus.COMPLETED
    ):
        download = settings.SITE_URL + reverse(
            "api:rights_request_export", kwargs={"request_id": found.public_id}
        )
    return RequestOut(
        id=found.public_id,
        reference=found.reference,
        kind=found.kind,
        status=found.status,
        received_at=found.received_at.isoformat(),
        due_at=found.due_at.isoformat(),
        completed_at=found.completed_at.isoformat() if found.completed_at else None,
        extended=found.extended_at is not None,
        download_url=download,
        outcome=dict(found.outcome or {}),
    )


def _evidence_body_limit() -> int:
    return json_body_limit(
        max_count=settings.RIGHTS_EVIDENCE_MAX_COUNT,
        max_bytes=settings.RIGHTS_EVIDENCE_MAX_BYTES,
    )


# A request with evidence takes a body as large as the evidence the spec
# allows: more than DATA_UPLOAD_MAX_MEMORY_SIZE.
body_limit_raise(view_name="api:request_create", limit=_evidence_body_limit)


def _uploads(items: list[EvidenceIn]) -> list[Upload]:
    uploads = []
    for item in items:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise EvidenceRejected(
                gettext("%(filename)s: content_base64 is not base64.") % {"filename": item.filename}
            ) from None
        uploads.append(Upload(item.filename, item.content_type, content))
    return uploads


@router.post(
    "/rights/requests",
    response={
        201: RequestOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    auth=AUTH,
    summary="Make a privacy request: access and export are answered at once, with a download; "
    "a correction goes to our privacy team; objection and restriction apply at once. "
    "Erasure needs you to sign in again, on the web.",
)
def request_create(request: HttpRequest, body: RequestIn) -> Status:
    user = authenticated_user(request)
    if body.kind in (RequestKind.ACCESS, RequestKind.EXPORT):
        return Status(201, request_out(customer.access_request_self(user=user, kind=body.kind)))
    if body.kind == RequestKind.CORRECTION:
        created = customer.correction_request(
            user=user,
            fields=body.fields,
            details=body.details or "",
            uploads=_uploads(body.attachments),
        )
        return Status(201, request_out(created))
    if body.kind == RequestKind.ERASURE:
        raise ReauthenticationNeeded(
            gettext("Erasing your data needs you to sign in again: confirm it at %(url)s")
            % {"url": settings.SITE_URL + reverse("rights:erase")}
        )
    if body.kind == RequestKind.OBJECTION and body.scope is None:
        raise InvalidRequest(
            gettext("Say what you object to: analytics, personalisation or marketing.")
        )
    scope = "restriction" if body.kind == RequestKind.RESTRICTION else str(body.scope)
    recorded = customer.objection_request(user=user, switches={scope: body.active})
    if not recorded:
        raise NoChange(
            gettext("%(scope)s is already %(active_else_off)s.")
            % {"scope": scope, "active_else_off": "on" if body.active else "off"}
        )
    return Status(201, request_out(recorded[0]))


@router.get(
    "/rights/requests",
    response={200: list[RequestOut], 401: ErrorOut},
    auth=AUTH,
    summary="Your privacy requests, newest first",
)
def request_list(request: HttpRequest) -> list[RequestOut]:
    user = authenticated_user(request)
    return [request_out(r) for r in selectors.requests_of(user=user)[:200]]


@router.get(
    "/rights/requests/{request_id}",
    response={200: RequestOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=AUTH,
    summary="One of your privacy requests",
)
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> RequestOut:
    user = authenticated_user(request)
    return request_out(selectors.request_for(user=user, public_id=request_id))


@router.get(
    "/rights/requests/{request_id}/export",
    response={401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=AUTH,
    url_name="rights_request_export",
    openapi_extra=ZIP_RESPONSE,
    summary="Download everything we hold about you (RGT-04), for one of your completed "
    "access or export requests",
)
def request_export(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    user = authenticated_user(request)
    found = selectors.request_for(user=user, public_id=request_id)
    if found.kind not in (RequestKind.ACCESS, RequestKind.EXPORT):
        raise NotAnExport(gettext("Only access and export requests have a download."))
    export = export_build(user=user)
    response = HttpResponse(export_zip(export), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/rights/public-requests",
    response={202: PublicRequestOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="A privacy request without an account, or a parent's request to delete their "
    "child's data: we email a link to verify the address first, and never send data by email",
)
def public_request_create(request: HttpRequest, body: PublicRequestIn) -> Status:
    created = public.public_request_open(
        email=body.email,
        kind=body.kind,
        relationship=body.relationship,
        child_identifier=body.child or "",
        details=body.details or "",
        jurisdiction=body.jurisdiction,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(
        202,
        PublicRequestOut(
            reference=created.reference,
            message="We emailed a link to verify your address; your request is accepted "
            "once you open it.",
        ),
    )

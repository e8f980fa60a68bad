"""Requests a signed-in customer makes about themselves (RGT-01..06): access,
export, correction, objection, erasure, and editing their own details."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.consent import services as consent
from roamwise.consent.models import Objection

from .. import selectors
from ..errors import (
    InvalidRequest,
)
from ..evidence import Upload, evidence_check
from ..models import (
    DataRequest,
    DataRequestFile,
    RequesterKind,
    RequestKind,
    RequestStatus,
)
from .common import (
    IMMEDIATE_KINDS,
    _create,
    _erase,
    _now,
    _staff_alert,
    _tell_requester,
    _transition,
)


def access_request_self(
    *, user: User, kind: str = RequestKind.EXPORT, now: datetime | None = None
) -> DataRequest:
    """Access and export are answered at once: the privacy center shows
    everything (RGT-01) and the download is the signed-in ZIP (RGT-04)."""
    if kind not in IMMEDIATE_KINDS:
        raise InvalidRequest(gettext("Only access and export are answered at once."))
    moment = _now(now)
    with transaction.atomic():
        request = _create(
            kind=kind,
            requester_kind=RequesterKind.CUSTOMER,
            user=user,
            key_subject=user.public_id,
            now=moment,
        )
        _transition(request, RequestStatus.IN_PROGRESS, actor=user, now=moment, note="signed in")
        _transition(
            request,
            RequestStatus.COMPLETED,
            actor=user,
            now=moment,
            note="answered at once: the privacy center and the signed-in download",
            outcome={"delivered": "signed-in download"},
        )
    return request


def correction_request(
    *,
    user: User,
    fields: Sequence[str],
    details: str,
    uploads: Sequence[Upload] = (),
    jurisdiction: str | None = None,
    now: datetime | None = None,
) -> DataRequest:
    """Ask staff to correct what the customer cannot edit themselves (RGT-02),
    with supporting files, each sealed with the customer's key."""
    known = {value for value, _ in selectors.correctable_fields()}
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise InvalidRequest(
            gettext("%(unknown_0)s is not something a correction request can name.")
            % {"unknown_0": unknown[0]}
        )
    if not (details or "").strip():
        raise InvalidRequest(gettext("Say what is wrong and what it should be."))
    checked = evidence_check(uploads)
    moment = _now(now)
    summary = "Fields: " + (", ".join(fields) if fields else "not named") + "\n\n"
    with transaction.atomic():
        request = _create(
            kind=RequestKind.CORRECTION,
            requester_kind=RequesterKind.CUSTOMER,
            user=user,
            key_subject=user.public_id,
            now=moment,
            jurisdiction=jurisdiction,
            details=summary + details.strip(),
        )
        for upload in checked:
            DataRequestFile.objects.create(
                request=request,
                filename=upload.filename,
                content_type=upload.content_type,
                size=len(upload.content),
                content=upload.content,
                created_at=moment,
            )
        _transition(request, RequestStatus.IN_PROGRESS, actor=user, now=moment, note="signed in")
        _tell_requester(request, "rights/email/received", {})
        _staff_alert(
            request,
            f"Correction request {request.reference}",
            f"A customer asks for a correction ({len(checked)} file(s)). "
            f"Due {request.due_at:%Y-%m-%d}.",
        )
    return request


def objection_request(
    *, user: User, switches: dict[str, bool], now: datetime | None = None
) -> list[DataRequest]:
    """Object to or restrict processing (RGT-06): the consent app's switches
    take effect at once; each change is also recorded as a request completed
    at once (restriction for "restriction", objection for the rest)."""
    unknown = set(switches) - set(Objection.values)
    if unknown:
        raise InvalidRequest(
            gettext("Unknown objection %(sorted)r.") % {"sorted": sorted(unknown)[0]}
        )
    moment = _now(now)
    recorded = []
    with transaction.atomic():
        for scope, active in switches.items():
            if consent.objection_set(user=user, scope=scope, active=active) is None:
                continue
            kind = (
                RequestKind.RESTRICTION if scope == Objection.RESTRICTION else RequestKind.OBJECTION
            )
            request = _create(
                kind=kind,
                requester_kind=RequesterKind.CUSTOMER,
                user=user,
                key_subject=user.public_id,
                now=moment,
            )
            _transition(request, RequestStatus.IN_PROGRESS, actor=user, now=moment)
            verb = "on" if active else "lifted"
            _transition(
                request,
                RequestStatus.COMPLETED,
                actor=user,
                now=moment,
                note=f"{scope} {verb}: in force from now on",
                outcome={"scope": scope, "active": bool(active)},
            )
            recorded.append(request)
    return recorded


def erasure_request_self(*, user: User, now: datetime | None = None) -> DataRequest:
    """A signed-in customer, freshly re-authenticated, erases their data now
    (RGT-03). Unlike closing the account (ACC-05: stops at once, deleted
    after the grace period), nothing waits: ``erase_subject`` runs at once."""
    moment = _now(now)
    email = user.email
    with transaction.atomic():
        request = _create(
            kind=RequestKind.ERASURE,
            requester_kind=RequesterKind.CUSTOMER,
            user=user,
            key_subject=user.public_id,
            now=moment,
        )
        _transition(
            request, RequestStatus.IN_PROGRESS, actor=user, now=moment, note="re-authenticated"
        )
    _erase(request, user, actor=None, now=moment)
    request.refresh_from_db()
    if email:
        template = (
            "rights/email/erased"
            if request.status == RequestStatus.COMPLETED
            else "rights/email/erasure_pending"
        )
        with transaction.atomic():
            _tell_requester(request, template, {"outcome": request.outcome}, to=email)
    return request


def personal_details_update(*, user: User, first_name: str, last_name: str) -> User:
    """The customer corrects their name themselves (RGT-02: editable fields)."""
    first_name, last_name = first_name.strip(), last_name.strip()
    if len(first_name) > 150 or len(last_name) > 150:
        raise InvalidRequest(gettext("A name is at most 150 characters."))
    user.first_name = first_name
    user.last_name = last_name
    user.save(update_fields=["first_name", "last_name"])
    return user

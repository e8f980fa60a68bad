"""What every actor's services share: the request's state machine and events,
opening a request, telling people, and carrying out an erasure.

Identity comes before disclosure (RGT-09): a signed-in customer is who they
are; someone writing from the public form first proves they hold the address
(a signed, expiring link), and data only ever reaches them through a
download: signed in, or by a one-time link sent to an address that is a
verified address of the account. Email bodies never carry personal data."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core import states
from roamwise.notifications import services as notifications
from roamwise.vault import services as vault

from .. import deadlines
from ..erasure import ErasureBlocked, ErasureIncomplete, ErasureReport, erase_subject
from ..errors import (
    InvalidRequest,
)
from ..models import (
    CLOSED_STATUSES,
    DataRequest,
    DataRequestEvent,
    RequesterKind,
    RequestKind,
    RequestStatus,
)

VERIFY_SALT = "roamwise.rights.verify"

DETAILS_MAX = 5000

IMMEDIATE_KINDS = (RequestKind.ACCESS, RequestKind.EXPORT)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _site(path: str) -> str:
    return settings.SITE_URL + path


def _event(
    request: DataRequest,
    *,
    actor: User | None,
    now: datetime,
    note: str,
    from_status: str = "",
    to_status: str = "",
) -> DataRequestEvent:
    return DataRequestEvent.objects.create(
        request_id=request.pk,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note[:300],
        created_at=now,
    )


def _transition(
    request: DataRequest,
    to_status: str,
    *,
    actor: User | None,
    now: datetime,
    note: str = "",
    **changes: Any,
) -> DataRequest:
    """Move the request on (roamwise.core.states.move), stamping when it closed.

    The move writes plain columns only (``update``): after an erasure the
    request's sealed fields must not be written again, which would create a
    new key for the erased subject."""
    if to_status in CLOSED_STATUSES:
        changes["completed_at"] = now
    states.move(request, to_status, actor=actor, now=now, note=note, **changes)
    return request


def _create(
    *,
    kind: str,
    requester_kind: str,
    user: User | None,
    key_subject: uuid.UUID,
    now: datetime,
    jurisdiction: str | None = None,
    contact_email: str = "",
    child_identifier: str = "",
    details: str = "",
) -> DataRequest:
    if kind not in RequestKind.values:
        raise InvalidRequest(gettext("Unknown kind of request %(kind)r.") % {"kind": kind})
    jurisdiction = (jurisdiction or deadlines.default()).lower()
    if jurisdiction not in settings.RIGHTS_RESPONSE_PERIODS:
        raise InvalidRequest(
            gettext("Unknown jurisdiction %(jurisdiction)r.") % {"jurisdiction": jurisdiction}
        )
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise InvalidRequest(
            gettext("Write at most %(DETAILS_MAX)s characters.") % {"DETAILS_MAX": DETAILS_MAX}
        )
    due = deadlines.due_after(now, jurisdiction)
    request = DataRequest.objects.create(
        kind=kind,
        requester_kind=requester_kind,
        user=user,
        key_subject=key_subject,
        contact_email=contact_email,
        child_identifier=child_identifier,
        details=details,
        jurisdiction=jurisdiction,
        received_at=now,
        due_at=due,
        first_due_at=due,
    )
    _event(request, actor=None, now=now, note="received", to_status=RequestStatus.RECEIVED)
    return request


def _staff_alert(request: DataRequest, title: str, message: str) -> None:
    """The privacy team's inbox: references and dates only, never the requester's data."""
    link = _site(reverse("admin:rights_datarequest_change", args=[request.pk]))
    notifications.notify_address(
        to=settings.PRIVACY_EMAIL,
        kind="staff_alert",
        template="notifications/email/staff_alert",
        context={"title": title, "message": f"{message}\n\n{link}\n"},
    )


def _tell_requester(
    request: DataRequest, template: str, context: dict[str, Any], *, to: str | None = None
) -> None:
    context = {
        "request": request,
        "reference": request.reference,
        "kind": request.get_kind_display(),
        "due_at": request.due_at,
        **context,
    }
    # After an erasure, even a partial one, the request's key may be gone:
    # sealing anything with it again would create a new key for the erased
    # subject, so such mail is sealed with the shared key instead.
    key_alive = vault.has_key(request.key_subject)
    customer = request.user if request.requester_kind == RequesterKind.CUSTOMER else None
    if customer is not None and not to and key_alive:
        context.setdefault("link", _site(reverse("rights:center")))
        notifications.notify(
            user=customer, kind="privacy_request", template=template, context=context
        )
        return
    address = to or (request.contact_email if key_alive else "")
    if not address and customer is not None:
        address = customer.email
    if not address:
        return
    notifications.notify_address(
        to=address,
        kind="privacy_request",
        template=template,
        context=context,
        key_subject=request.key_subject if key_alive and not to else None,
    )


def _report_outcome(report: ErasureReport) -> dict[str, Any]:
    return {
        "deleted": dict(report.deleted),
        "anonymised": dict(report.anonymised),
        # The customer reads this (page, email, export): not the records of a
        # legal request whose order still forbids telling them, which the
        # legal request's own page shows staff.
        "retained": [
            {"model": r.model, "rows": r.rows, "reason": r.reason}
            for r in report.retained
            if not r.withheld
        ],
        "verified": bool(report.verified),
    }


def _erase(
    request: DataRequest, subject: User, *, actor: User | None, now: datetime
) -> DataRequest:
    """Run the erasure and record what it did. ``ErasureIncomplete`` (the
    verification found data erasure did not remove) and ``ErasureBlocked`` (a
    partner could not be told to stop; nothing was erased) fail the request
    loudly: it goes to the queue as failed and the privacy team is alerted."""
    try:
        report = erase_subject(user=subject, reason=f"Erasure request {request.reference}")
    except ErasureIncomplete as exc:
        _transition(
            request,
            RequestStatus.FAILED,
            actor=actor,
            now=now,
            note="erasure verification failed: data is left; staff must finish it",
            outcome={"error": str(exc)[:1000]},
        )
        _staff_alert(
            request,
            f"Erasure FAILED for request {request.reference}",
            "The erasure's verification found personal data it did not remove. "
            "The request is marked failed in the queue; finish the erasure before "
            f"{request.due_at:%Y-%m-%d}.",
        )
        return request
    except ErasureBlocked as exc:
        _transition(
            request,
            RequestStatus.FAILED,
            actor=actor,
            now=now,
            note="a partner could not be told to stop: nothing erased yet",
            outcome={"error": exc.message[:1000]},
        )
        _staff_alert(
            request,
            f"Erasure blocked for request {request.reference}",
            f"{exc.message} The request is marked failed in the queue; start it again "
            f"before {request.due_at:%Y-%m-%d}.",
        )
        return request
    return _transition(
        request,
        RequestStatus.COMPLETED,
        actor=actor,
        now=now,
        note="erased; kept what the law requires",
        outcome=_report_outcome(report),
    )


def _verified_account(email: str) -> User | None:
    """The account whose *verified* address this is; None otherwise (RGT-09)."""
    address = (
        EmailAddress.objects.select_related("user")
        .filter(email__iexact=email.strip(), verified=True, user__is_active=True)
        .first()
    )
    return address.user if address is not None else None

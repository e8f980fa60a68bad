"""Requests from anyone through the public form (RGT-09, CHD-03): opened,
verified by a signed, expiring link, then answered at once where we can or
queued for the privacy officer; a parent's report about a child."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.accounts.services import age_on
from roamwise.core.ratelimit import rate_limit
from roamwise.vault import services as vault

from .. import deadlines
from ..errors import (
    InvalidRequest,
    LinkInvalid,
)
from ..models import (
    ABOUT_A_CHILD,
    DataRequest,
    RequesterKind,
    RequestKind,
    RequestStatus,
)
from .common import (
    IMMEDIATE_KINDS,
    VERIFY_SALT,
    _create,
    _erase,
    _now,
    _site,
    _staff_alert,
    _tell_requester,
    _transition,
    _verified_account,
)
from .downloads import download_send


def verify_token(request: DataRequest, *, now: datetime) -> str:
    return signing.dumps({"r": request.public_id.hex, "t": int(now.timestamp())}, salt=VERIFY_SALT)


def _verify_token_read(token: str, *, now: datetime) -> uuid.UUID:
    try:
        payload = signing.loads(token, salt=VERIFY_SALT)
        issued = int(payload["t"])
        public_id = uuid.UUID(hex=str(payload["r"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid(gettext("This link is not valid.")) from None
    if now.timestamp() - issued > settings.RIGHTS_VERIFY_HOURS * 3600:
        raise LinkInvalid(gettext("This link has expired; please send your request again."))
    return public_id


def public_request_open(
    *,
    email: str,
    kind: str,
    relationship: str = "self",
    child_identifier: str = "",
    details: str = "",
    jurisdiction: str | None = None,
    client_ip: str = "",
    now: datetime | None = None,
) -> DataRequest:
    """Someone without an account, a parent for their child (CHD-03), or
    anyone reporting a suspected under-13 account (``relationship="reporter"``,
    an erasure request naming the account: CHD-04), asks.

    Nothing happens until they open the signed, expiring link we email: the
    request waits in "verifying" and is deleted if the link is never used.
    A report goes to staff at once: it discloses nothing to the reporter, and
    staff verify the report itself before they erase anything."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidRequest(gettext("Enter a valid email address.")) from None
    if kind not in RequestKind.values:
        raise InvalidRequest(gettext("Choose what you are asking for."))
    requester_kind = RELATIONSHIPS.get(relationship)
    if requester_kind is None:
        raise InvalidRequest(gettext("Say whether the request is about you or your child."))
    # A parent may ask anything for their child; only erasure of a matched
    # child is automatic (CHD-03), the rest goes to the privacy officer.
    child_identifier = (child_identifier or "").strip()[:254]
    if requester_kind == RequesterKind.REPORTER:
        if kind != RequestKind.ERASURE:
            raise InvalidRequest(gettext("A report of an under-13 account asks for its erasure."))
        if not child_identifier:
            raise InvalidRequest(gettext("Give the account's username or email address."))
    limit = settings.RIGHTS_PUBLIC_FORM_LIMIT
    rate_limit(key=f"rights-public:ip:{client_ip or 'unknown'}", limit=limit, window_seconds=3600)
    email_key = hashlib.sha256(email.lower().encode()).hexdigest()
    rate_limit(key=f"rights-public:email:{email_key}", limit=limit, window_seconds=3600)
    moment = _now(now)
    with transaction.atomic():
        request = _create(
            kind=kind,
            requester_kind=requester_kind,
            user=None,
            key_subject=uuid.uuid4(),
            now=moment,
            jurisdiction=jurisdiction,
            contact_email=email,
            child_identifier=child_identifier if requester_kind in ABOUT_A_CHILD else "",
            details=details,
        )
        if requester_kind == RequesterKind.REPORTER:
            # A report discloses nothing to the reporter, and staff verify the
            # report itself before anything is erased: it reaches them at once.
            _transition(
                request, RequestStatus.IN_PROGRESS, actor=None, now=moment, note="report received"
            )
            _child_report_received(request)
            return request
        _transition(
            request,
            RequestStatus.VERIFYING,
            actor=None,
            now=moment,
            note="verification link emailed",
        )
        link = _site(reverse("rights:verify", args=[verify_token(request, now=moment)]))
        _tell_requester(
            request, "rights/email/verify", {"link": link, "hours": settings.RIGHTS_VERIFY_HOURS}
        )
    return request


RELATIONSHIPS = {
    "self": RequesterKind.NON_CUSTOMER,
    "parent": RequesterKind.PARENT,
    "reporter": RequesterKind.REPORTER,
}


def public_request_check(*, token: str, now: datetime | None = None) -> DataRequest:
    """The request a verification link is for (the page asks to confirm)."""
    public_id = _verify_token_read(token, now=_now(now))
    request = DataRequest.objects.filter(public_id=public_id).first()
    if request is None:
        raise LinkInvalid(gettext("This link is not valid."))
    return request


def public_request_verify(*, token: str, now: datetime | None = None) -> DataRequest:
    """The requester holds the address: the request is accepted and its
    deadline runs from now; then it is answered where it can be at once."""
    moment = _now(now)
    request = public_request_check(token=token, now=moment)
    if request.status != RequestStatus.VERIFYING:
        return request  # a second click: already accepted
    due = deadlines.due_after(moment, request.jurisdiction)
    _transition(
        request,
        RequestStatus.IN_PROGRESS,
        actor=None,
        now=moment,
        note="email address verified; the deadline runs from now",
        verified_at=moment,
        received_at=moment,
        due_at=due,
        first_due_at=due,
    )
    if request.requester_kind == RequesterKind.PARENT and request.kind == RequestKind.ERASURE:
        _parent_erasure(request, now=moment)
    else:
        _answer_verified(request, now=moment)
    request.refresh_from_db()
    return request


def _answer_verified(request: DataRequest, *, now: datetime) -> None:
    # A parent's request is about someone else: never matched to the parent's account.
    account = (
        None
        if request.requester_kind in ABOUT_A_CHILD
        else _verified_account(request.contact_email)
    )
    with transaction.atomic():
        if account is not None:
            DataRequest.objects.filter(pk=request.pk).update(user=account)
            request.user = account
        if request.kind in IMMEDIATE_KINDS and account is not None:
            download_send(request, actor=None, now=now)
            return
        _tell_requester(request, "rights/email/accepted", {})
        _staff_alert(
            request,
            f"Privacy request {request.reference} ({request.kind}) to answer",
            f"A {request.get_requester_kind_display().lower()} request, address verified, "
            f"{'matching an account' if account else 'matching no account'}. "
            f"Due {request.due_at:%Y-%m-%d}.",
        )


def _child_of(parent_email: str, identifier: str, *, today: Any) -> User | None:
    """The child account a parent names, if this parent is the one who was
    asked for consent (CHD-02) and the child is still a minor."""
    if not identifier or not parent_email:
        return None
    candidates = User.objects.filter(username__iexact=identifier) | User.objects.filter(
        email__iexact=identifier
    )
    for child in candidates.select_related("parental_consent", "profile"):
        record = getattr(child, "parental_consent", None)
        profile = getattr(child, "profile", None)
        if record is None or profile is None:
            continue
        if record.parent_email.strip().lower() != parent_email.strip().lower():
            continue
        if age_on(profile.date_of_birth, today) >= settings.ADULT_AGE:
            continue
        return child
    return None


def _parent_erasure(request: DataRequest, *, now: datetime) -> None:
    """CHD-03: the parent whose address the child's consent request went to
    asks; once that address is verified, the child's account is erased."""
    child = _child_of(
        request.contact_email, request.child_identifier, today=timezone.localdate(now)
    )
    if child is None:
        with transaction.atomic():
            _tell_requester(request, "rights/email/accepted", {})
            _staff_alert(
                request,
                f"Parent's erasure request {request.reference}: no automatic match",
                "A parent verified their address, but no minor's account names it as the "
                "parent's (a child who claimed to be an adult has none). Find the account on "
                "the request's page, verify the parent's report, link the account and erase "
                f"it by {request.due_at:%Y-%m-%d}.",
            )
        return
    DataRequest.objects.filter(pk=request.pk).update(user=child)
    request.user = child
    _erase(request, child, actor=None, now=now)
    request.refresh_from_db()
    # The child's name is gone with their account; the request keeps no copy.
    DataRequest.objects.filter(pk=request.pk).update(child_identifier="")
    template = (
        "rights/email/erased"
        if request.status == RequestStatus.COMPLETED
        else "rights/email/erasure_pending"
    )
    with transaction.atomic():
        _tell_requester(request, template, {"outcome": request.outcome, "for_child": True})


def _child_report_received(request: DataRequest) -> None:
    """CHD-04: a report of a suspected under-13 account goes to staff, who
    find the account, verify the report, link the account and erase it."""
    with transaction.atomic():
        _tell_requester(request, "rights/email/report_received", {})
        _staff_alert(
            request,
            f"Report of a suspected under-13 account {request.reference}",
            "Someone reported an account as a child's under 13. "
            "Find the account on the request's page, verify the report, link the account "
            f"and erase it by {request.due_at:%Y-%m-%d}, or reject the report with reasons.",
        )


def unverified_requests_delete(*, now: datetime | None = None) -> int:
    """Requests whose address was never verified are not kept, nor their key."""
    cutoff = _now(now) - timedelta(hours=settings.RIGHTS_VERIFY_HOURS)
    stale = DataRequest.objects.filter(status=RequestStatus.VERIFYING, received_at__lt=cutoff)
    keys = list(stale.values_list("key_subject", flat=True))
    stale.delete()
    for key in keys:
        vault.shred(key)
    return len(keys)

"""Data-subject requests: opening them (customers in their account, anyone by
a public form with email verification, a parent for a child), answering them
(at once where we can, through the privacy officer's queue otherwise), their
deadlines, extensions and reminders (RGT-01..06, RGT-09, CHD-03).

Identity comes before disclosure (RGT-09): a signed-in customer is who they
are; someone writing from the public form first proves they hold the address
(a signed, expiring link), and data only ever reaches them through a
download: signed in, or by a one-time link sent to an address that is a
verified address of the account. Email bodies never carry personal data.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.accounts.services import age_on
from roamwise.consent import services as consent
from roamwise.consent.models import Objection
from roamwise.core import states
from roamwise.core.errors import InvalidTransition
from roamwise.core.ratelimit import rate_limit
from roamwise.notifications import services as notifications
from roamwise.vault import services as vault

from . import deadlines, selectors
from .erasure import ErasureBlocked, ErasureIncomplete, ErasureReport, erase_subject
from .errors import (
    ExtensionRefused,
    InvalidRequest,
    LinkInvalid,
)
from .evidence import Upload, evidence_check
from .models import (
    ABOUT_A_CHILD,
    CLOSED_STATUSES,
    DataRequest,
    DataRequestEvent,
    DataRequestFile,
    DataRequestReminder,
    LinkMethod,
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


# --- The state machine ------------------------------------------------------------


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


# --- Telling people ---------------------------------------------------------------


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


# --- Customers, signed in -----------------------------------------------------------


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


# --- Anyone: the public form ----------------------------------------------------------


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


def _verified_account(email: str) -> User | None:
    """The account whose *verified* address this is; None otherwise (RGT-09)."""
    address = (
        EmailAddress.objects.select_related("user")
        .filter(email__iexact=email.strip(), verified=True, user__is_active=True)
        .first()
    )
    return address.user if address is not None else None


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


def _issue_download(request: DataRequest, *, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    DataRequest.objects.filter(pk=request.pk).update(
        download_token_hash=_hash(token),
        download_expires_at=now + timedelta(hours=settings.RIGHTS_DOWNLOAD_HOURS),
        downloaded_at=None,
        updated_at=now,
    )
    return _site(reverse("rights:download", args=[token]))


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
            link = _issue_download(request, now=now)
            _transition(
                request,
                RequestStatus.COMPLETED,
                actor=None,
                now=now,
                note="one-time download link sent to the account's verified address",
                outcome={"delivered": "one-time link"},
            )
            _tell_requester(
                request,
                "rights/email/download",
                {"link": link, "hours": settings.RIGHTS_DOWNLOAD_HOURS},
            )
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


def download_check(*, token: str, now: datetime | None = None) -> DataRequest:
    request = DataRequest.objects.filter(download_token_hash=_hash(token)).first()
    moment = _now(now)
    if (
        request is None
        or not token
        or request.downloaded_at is not None
        or request.download_expires_at is None
        or request.download_expires_at <= moment
        or request.user_id is None
    ):
        raise LinkInvalid(
            gettext("This download link is not valid, has expired or was used already.")
        )
    return request


def download_consume(*, token: str, now: datetime | None = None) -> DataRequest:
    """A one-time link works once: the first download marks it used."""
    moment = _now(now)
    request = download_check(token=token, now=moment)
    used = DataRequest.objects.filter(pk=request.pk, downloaded_at__isnull=True).update(
        downloaded_at=moment, updated_at=moment
    )
    if used != 1:
        raise LinkInvalid(gettext("This download link was used already."))
    with transaction.atomic():
        _event(request, actor=None, now=moment, note="downloaded with the one-time link")
    return request


def unverified_requests_delete(*, now: datetime | None = None) -> int:
    """Requests whose address was never verified are not kept, nor their key."""
    cutoff = _now(now) - timedelta(hours=settings.RIGHTS_VERIFY_HOURS)
    stale = DataRequest.objects.filter(status=RequestStatus.VERIFYING, received_at__lt=cutoff)
    keys = list(stale.values_list("key_subject", flat=True))
    stale.delete()
    for key in keys:
        vault.shred(key)
    return len(keys)


# --- Staff: the privacy officer's queue -------------------------------------------------


def request_assign(*, request: DataRequest, assignee: User | None, actor: User) -> DataRequest:
    if assignee is not None and not assignee.is_staff:
        raise InvalidRequest(gettext("Requests are assigned to staff."))
    now = timezone.now()
    with transaction.atomic():
        DataRequest.objects.filter(pk=request.pk).update(assignee=assignee, updated_at=now)
        _event(
            request,
            actor=actor,
            now=now,
            note=f"assigned to {assignee.username}" if assignee else "unassigned",
        )
    request.assignee = assignee
    return request


def request_start(*, request: DataRequest, actor: User, now: datetime | None = None) -> DataRequest:
    """Staff take up a received request, or retry a failed one."""
    return _transition(request, RequestStatus.IN_PROGRESS, actor=actor, now=_now(now))


def _store_resolution(request: DataRequest, text: str) -> None:
    # Sealed with the request's key; never with a key an erasure destroyed
    # (sealing would create a new one for the erased subject).
    if vault.has_key(request.key_subject):
        request.resolution = text
        request.save(update_fields=["resolution"])


def request_complete(
    *, request: DataRequest, actor: User, resolution: str, now: datetime | None = None
) -> DataRequest:
    """Staff answer a request (a correction made, a non-customer answered)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidRequest(gettext("Write the answer the requester receives."))
    moment = _now(now)
    with transaction.atomic():
        _store_resolution(request, resolution)
        _transition(request, RequestStatus.COMPLETED, actor=actor, now=moment, note="answered")
        _tell_requester(request, "rights/email/answered", {"resolution": resolution})
    return request


def request_reject(
    *, request: DataRequest, actor: User | None, reason: str, now: datetime | None = None
) -> DataRequest:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest(gettext("Give the reason the requester receives."))
    moment = _now(now)
    with transaction.atomic():
        _store_resolution(request, reason)
        _transition(request, RequestStatus.REJECTED, actor=actor, now=moment, note="rejected")
        _tell_requester(request, "rights/email/rejected", {"reason": reason})
    return request


def request_extend(
    *, request: DataRequest, actor: User, reason: str, now: datetime | None = None
) -> DataRequest:
    """Extend the deadline once, by the jurisdiction's extension (GDPR: two
    further months), with a reason the requester is told (Art. 12(3))."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ExtensionRefused(gettext("Give the reason for the extension in a sentence."))
    if request.extended_at is not None:
        raise ExtensionRefused(gettext("This request was extended already."))
    period = deadlines.extension_period(request.jurisdiction)
    if period is None:
        raise ExtensionRefused(
            gettext("%(upper)s allows no extension.") % {"upper": request.jurisdiction.upper()}
        )
    moment = _now(now)
    if request.due_at <= moment:
        raise ExtensionRefused(
            gettext("The deadline has passed: an extension is decided before it.")
        )
    new_due = period.after(request.due_at)
    with transaction.atomic():
        _transition(
            request,
            RequestStatus.EXTENDED,
            actor=actor,
            now=moment,
            note=f"deadline extended by {period.describe()} to {new_due:%Y-%m-%d}",
            due_at=new_due,
            extended_at=moment,
            extended_by=actor,
            extension_reason=reason,
        )
        _tell_requester(request, "rights/email/extended", {"reason": reason, "due_at": new_due})
    return request


LINK_NOTE_MIN = 10


def request_account_link(
    *,
    request: DataRequest,
    account: User,
    actor: User,
    method: str,
    note: str,
    now: datetime | None = None,
) -> DataRequest:
    """Staff link the account a parent or a reporter named to the erasure
    request, once they have verified the report (CHD-03, CHD-04): who
    verified, how (``LinkMethod``) and a note are written to the request's
    history. Erasing it is the next, separate step (``request_erase``)."""
    if request.kind != RequestKind.ERASURE or request.requester_kind not in ABOUT_A_CHILD:
        raise InvalidRequest(
            gettext("Only a parent's or a reporter's erasure request is linked to an account.")
        )
    if not request.is_under_way:
        raise InvalidTransition(gettext("Start the request before linking an account."))
    if request.user_id is not None:
        raise InvalidRequest(gettext("An account is linked to this request already."))
    if account.is_staff:
        raise InvalidRequest(gettext("A staff account is not erased through a report."))
    if method not in LinkMethod.values:
        raise InvalidRequest(gettext("Say how you verified the report."))
    note = " ".join((note or "").split())
    if len(note) < LINK_NOTE_MIN:
        raise InvalidRequest(gettext("Describe the checks you made in a sentence."))
    moment = _now(now)
    with transaction.atomic():
        linked = DataRequest.objects.filter(pk=request.pk, user__isnull=True).update(
            user=account, updated_at=moment
        )
        if linked != 1:
            raise InvalidTransition(gettext("The request changed meanwhile; reload it."))
        _event(
            request,
            actor=actor,
            now=moment,
            note=f"account linked after verification ({LinkMethod(method).label}): {note}",
        )
    request.user = account
    return request


def request_erase(*, request: DataRequest, actor: User, now: datetime | None = None) -> DataRequest:
    """Staff carry out an erasure request whose account is known (a verified
    public request, or a retry after a failure)."""
    if request.kind != RequestKind.ERASURE:
        raise InvalidRequest(gettext("Only an erasure request erases."))
    if request.user is None:
        raise InvalidRequest(gettext("No account is matched to this request."))
    moment = _now(now)
    if request.status == RequestStatus.FAILED:
        _transition(request, RequestStatus.IN_PROGRESS, actor=actor, now=moment, note="retry")
    if not request.is_under_way:
        raise InvalidTransition(gettext("Start the request before erasing."))
    email = request.user.email if request.requester_kind == RequesterKind.CUSTOMER else ""
    _erase(request, request.user, actor=actor, now=moment)
    request.refresh_from_db()
    about_a_child = request.requester_kind in ABOUT_A_CHILD
    if about_a_child and request.status == RequestStatus.COMPLETED:
        # The child's name is gone with their account; the request keeps no copy.
        DataRequest.objects.filter(pk=request.pk).update(child_identifier="")
    if request.status == RequestStatus.COMPLETED:
        context = {
            "outcome": request.outcome,
            "for_child": request.requester_kind == RequesterKind.PARENT,
            "reported": request.requester_kind == RequesterKind.REPORTER,
        }
        with transaction.atomic():
            _tell_requester(request, "rights/email/erased", context, to=email or None)
    return request


def request_send_download(
    *, request: DataRequest, actor: User, now: datetime | None = None
) -> DataRequest:
    """Staff answer an access or export request with a one-time link, only to
    an address that is a verified address of the matched account (RGT-09)."""
    if request.kind not in IMMEDIATE_KINDS:
        raise InvalidRequest(
            gettext("Only access and export requests are answered with a download.")
        )
    account = request.user
    address = request.contact_email or (account.email if account else "")
    if account is None or _verified_account(address) != account:
        raise InvalidRequest(
            gettext(
                "The requester's address is not a verified address of the account: "
                "no data can be sent to it."
            )
        )
    moment = _now(now)
    with transaction.atomic():
        link = _issue_download(request, now=moment)
        _transition(
            request,
            RequestStatus.COMPLETED,
            actor=actor,
            now=moment,
            note="one-time download link sent to the account's verified address",
            outcome={"delivered": "one-time link"},
        )
        _tell_requester(
            request,
            "rights/email/download",
            {"link": link, "hours": settings.RIGHTS_DOWNLOAD_HOURS},
            to=address,
        )
    return request


# --- Reminders ----------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind the assignee (or the privacy inbox) of requests nearing their
    deadline: once per request, level and deadline, however often this runs."""
    moment = _now(now)
    sent = 0
    for due in selectors.reminders_due(now=moment):
        request = DataRequest.objects.select_related("assignee").get(pk=due.request_id)
        try:
            with transaction.atomic():
                DataRequestReminder.objects.bulk_create(
                    [
                        DataRequestReminder(
                            request=request,
                            days_before=level,
                            due_at=request.due_at,
                            sent_at=moment,
                        )
                        for level in due.levels
                    ]
                )
                _event(
                    request,
                    actor=None,
                    now=moment,
                    note=f"reminder: {selectors.countdown(request, now=moment)}",
                )
                context = {
                    "title": f"Privacy request {request.reference} "
                    f"{selectors.countdown(request, now=moment)}",
                    "message": (
                        f"The {request.get_kind_display().lower()} request {request.reference} "
                        f"({request.get_status_display().lower()}) is due "
                        f"{request.due_at:%Y-%m-%d %H:%M} UTC.\n\n"
                        + _site(reverse("admin:rights_datarequest_change", args=[request.pk]))
                    ),
                }
                if request.assignee is not None and request.assignee.email:
                    notifications.notify(
                        user=request.assignee,
                        kind="staff_alert",
                        template="notifications/email/staff_alert",
                        context=context,
                    )
                else:
                    notifications.notify_address(
                        to=settings.PRIVACY_EMAIL,
                        kind="staff_alert",
                        template="notifications/email/staff_alert",
                        context=context,
                    )
        except IntegrityError:
            continue  # another worker sent it
        sent += 1
    return sent

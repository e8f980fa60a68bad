"""The privacy officer's queue (RGT-01..06): assign, start, answer, reject,
extend, link a verified report to an account, erase; and the deadline
reminders the job sends."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core.errors import InvalidTransition
from roamwise.notifications import services as notifications
from roamwise.vault import services as vault

from .. import deadlines, selectors
from ..errors import (
    ExtensionRefused,
    InvalidRequest,
)
from ..models import (
    ABOUT_A_CHILD,
    DataRequest,
    DataRequestReminder,
    LinkMethod,
    RequesterKind,
    RequestKind,
    RequestStatus,
)
from .common import _erase, _event, _now, _site, _tell_requester, _transition


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

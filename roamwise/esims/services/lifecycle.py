"""An eSIM's life after it is ready (SIM-02): suspend, resume, delete, end for
an erasure, and every change asked of the network partner, one at a time and
no answer lost (ADR 0006). Called by the customer's pages, staff and jobs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core import locks, states
from roamwise.core.tasks import enqueue_on_commit
from roamwise.datamap.registry import RecipientUnreachable
from roamwise.kernel.disclosures import disclosure_record
from roamwise.orders import services as orders
from roamwise.orders.models import Order
from roamwise.orders.tasks import notify_staff as notify_staff_task

from .. import hooks
from ..errors import EsimError, LineChangePending
from ..es2plus import Es2Error
from ..models import (
    ENDED_STATES,
    Bundle,
    Esim,
    EsimState,
    PartnerCall,
)
from ..partner import PartnerError, get_partner
from ..privacy import PARTNER_SENDS
from .provisioning import _cancel_at_smdp

log = logging.getLogger(__name__)


def _disclose(esim: Esim) -> None:
    """The line's ICCID and its bundle leave for the network partner (SHR-03),
    as its adapter declares (``privacy.py``)."""
    disclosure_record(
        subject_id=esim.customer.public_id,
        recipient="network",
        categories=PARTNER_SENDS.categories,
        purpose="service",
        reference=str(esim.public_id),
    )


def esim_delete(*, esim: Esim, actor: str, note: str = "") -> Esim:
    """Delete an eSIM: a profile never downloaded goes back to the SM-DP+
    (CancelOrder); one on a device is terminated at the network."""
    if esim.state == EsimState.DELETED:
        return esim
    if not esim.can_delete:
        raise EsimError(gettext("This eSIM cannot be deleted."))
    if _supplied(esim):
        return hooks.esim_supplied_delete(esim=esim, actor=actor, note=note or "deleted")
    downloaded = esim.state not in (EsimState.PREPARING, EsimState.READY)
    if esim.state == EsimState.PREPARING:
        # Stop provisioning first; a worker that gets a profile afterwards gives it back.
        states.try_move(
            esim, EsimState.DELETED, actor=actor, note=note or "deleted before it was ready"
        )
        if esim.iccid:
            _cancel_at_smdp(esim, actor=actor)
        return esim
    if not downloaded and esim.iccid and not _cancel_at_smdp(esim, actor=actor):
        downloaded = True
    if downloaded:
        # The line is ended at the network first; the eSIM is deleted when it agreed.
        return _line_change(
            esim=esim,
            action=PartnerCall.Action.TERMINATE,
            actor=actor,
            note=note or "deleted",
            target=_deleted_target,
        )
    states.try_move(esim, EsimState.DELETED, actor=actor, note=note or "deleted")
    _bundles_cancel(esim)
    return esim


def esim_supplied_end(*, esim: Esim, actor: str, note: str) -> bool:
    """A wholesaler's eSIM ended here once its supplier has been asked (ADR 0020):
    deleted, its bundles cancelled. False if it was ended already."""
    if esim.state in ENDED_STATES:
        return False
    with transaction.atomic():
        moved = states.try_move(esim, EsimState.DELETED, actor=actor, note=note)
        if moved:
            _bundles_cancel(esim)
    return moved


def _bundles_cancel(esim: Esim) -> None:
    Bundle.objects.filter(esim=esim, state__in=(Bundle.State.PENDING, Bundle.State.ACTIVE)).update(
        state=Bundle.State.CANCELLED
    )


def _deleted_target(esim: Esim) -> str | None:
    if esim.state == EsimState.DELETED:
        return None
    if not esim.can_delete:
        raise EsimError(gettext("This eSIM cannot be deleted."))
    return EsimState.DELETED


def esims_end_for_erasure(esims: QuerySet[Esim]) -> int:
    """Before a customer's data is erased, end what the partners still hold
    of their eSIMs (``Erasure.at_recipients``), as deleting each one would: a
    profile not yet downloaded goes back to the SM-DP+ (CancelOrder, which
    also drops the EID it was linked to); a line on a device is terminated at
    the network. Idempotent: deleted eSIMs, and those that never got a
    profile, are passed over. Returns how many were ended."""
    ended = 0
    for esim in esims.exclude(state__in=(EsimState.DELETED, EsimState.FAILED)).order_by("pk"):
        try:
            esim_delete(esim=esim, actor="erasure", note="the customer's data is erased")
        except (EsimError, Es2Error) as exc:
            raise RecipientUnreachable(
                gettext("eSIM %(public_id)s was not ended: %(message)s")
                % {"public_id": esim.public_id, "message": exc.message}
            ) from exc
        ended += 1
    return ended


def esim_suspend(*, esim: Esim, actor: str) -> Esim:
    """Pause the eSIM's service at the network, then here (SIM-02).

    Raises ``LineChangePending`` when the network's answer was lost and it
    could not be asked yet: the change is then finished by the sweep."""

    def target(locked: Esim) -> str | None:
        if locked.state == EsimState.SUSPENDED:
            return None  # already paused: asking again changes nothing
        if not locked.can_suspend:
            raise EsimError(
                gettext("An eSIM that is %(lower)s cannot be paused.")
                % {"lower": locked.get_state_display().lower()}
            )
        return EsimState.SUSPENDED

    if _supplied(esim):
        return _supplied_change(
            esim=esim, action="suspend", actor=actor, note="service suspended", target=target
        )
    return _line_change(
        esim=esim,
        action=PartnerCall.Action.SUSPEND,
        actor=actor,
        note="service suspended",
        target=target,
    )


def esim_resume(*, esim: Esim, actor: str) -> Esim:
    """Resume a paused eSIM at the network, then here, in the state it was paused in."""

    def target(locked: Esim) -> str | None:
        if locked.state != EsimState.SUSPENDED:
            if _resumed_since_suspended(locked):
                return None  # resumed already (a repeated request)
            raise EsimError(gettext("Only a suspended eSIM can be resumed."))
        last = (
            locked.events.filter(to_status=EsimState.SUSPENDED)
            .order_by("-created_at", "-id")
            .first()
        )
        return last.from_status if last else EsimState.INSTALLED

    if _supplied(esim):
        return _supplied_change(
            esim=esim, action="resume", actor=actor, note="service resumed", target=target
        )
    return _line_change(
        esim=esim,
        action=PartnerCall.Action.RESUME,
        actor=actor,
        note="service resumed",
        target=target,
    )


def _supplied(esim: Esim) -> bool:
    """Whether a wholesaler supplied this eSIM: it is then changed at that
    supplier, never over ES2+ or at the network partner (ADR 0024)."""
    return hooks.supplied_allocation(order_id=esim.order_id) is not None


def _supplied_change(
    *, esim: Esim, action: str, actor: str, note: str, target: Callable[[Esim], str | None]
) -> Esim:
    """Suspend or resume a wholesaler's eSIM at its supplier, then here. The
    supplier is called outside any transaction; asking it twice is harmless."""
    with transaction.atomic():
        to_state = target(esim_lock(esim.pk))
    allocation = hooks.supplied_allocation(order_id=esim.order_id)
    if to_state is None or allocation is None:
        esim.refresh_from_db()
        return esim
    problem = hooks.supplied_change(allocation=allocation, action=action)
    if problem:
        raise EsimError(problem)
    with transaction.atomic():
        locked = esim_lock(esim.pk)
        if locked.state != to_state and states.can_move(locked, to_state):
            states.try_move(locked, to_state, actor=actor, note=note)
    esim.refresh_from_db()
    return esim


def _resumed_since_suspended(esim: Esim) -> bool:
    last = esim.events.order_by("-created_at", "-id").first()
    return (
        last is not None
        and last.from_status == EsimState.SUSPENDED
        and last.note == "service resumed"
        and last.to_status == esim.state
    )


PENDING_MESSAGES = {
    PartnerCall.Action.SUSPEND: (
        "The mobile network has not confirmed the pause yet. We keep asking it; "
        "your eSIM shows the result within a few minutes."
    ),
    PartnerCall.Action.RESUME: (
        "The mobile network has not confirmed that your eSIM is back on yet. We keep "
        "asking it; your eSIM shows the result within a few minutes."
    ),
    PartnerCall.Action.TERMINATE: (
        "The mobile network has not confirmed the deletion yet. We keep asking it; "
        "your eSIM shows the result within a few minutes."
    ),
    PartnerCall.Action.BUNDLE_ADD: "The mobile network has not confirmed the bundle yet.",
}

EARLIER_PENDING = (
    "An earlier change of this eSIM is still waiting for the mobile network's answer; "
    "try again in a few minutes."
)

BUSY = "Another change of this eSIM is under way; reload the page in a moment."

# What the network is expected to report of the line once the action is done.
LINE_STATE_AFTER = {
    PartnerCall.Action.SUSPEND: "suspended",
    PartnerCall.Action.RESUME: "active",
    PartnerCall.Action.TERMINATE: "terminated",
}

# A call still being sent after this long lost its worker: its outcome is unknown.
PARTNER_CALL_STALE_SECONDS = 120

PARTNER_CALL_ALERT_AFTER = timedelta(hours=1)


def esim_lock(esim_id: int) -> Esim:
    """The one place an eSIM's row is locked (STYLE 17): every change asked of
    the network takes it to decide, so shop and network see changes in one order."""
    return locks.lock_one(Esim.objects.all(), esim_id)


@dataclass(frozen=True)
class _Turn:
    call: PartnerCall | None = None  # to send now: ours, or an open one to settle
    settling: bool = False  # the call is an earlier one whose outcome is unknown
    busy: bool = False  # another worker's call for this eSIM is on its way


def _partner_wait_seconds() -> float:
    # Long enough for another request's call and its question to the network.
    return float(settings.HTTP_TIMEOUT_SECONDS) * 2 + 5


def _line_change(
    *,
    esim: Esim,
    action: str,
    actor: str,
    note: str,
    target: Callable[[Esim], str | None],
    bundle: Bundle | None = None,
) -> Esim:
    """Ask the network for one change of the eSIM and apply it once it agreed.

    ``target`` decides, under the eSIM's row lock, the state to move to
    (``None``: nothing to do). A call whose answer an earlier request lost is
    settled first. Returns the eSIM as it now is; raises ``EsimError`` with the
    network's reason when it refused, ``LineChangePending`` when its answer is
    not known yet.
    """
    deadline = time.monotonic() + _partner_wait_seconds()
    while True:
        turn = _take_turn(esim, action=action, actor=actor, note=note, target=target, bundle=bundle)
        if turn.call is None and not turn.busy:
            esim.refresh_from_db()
            return esim
        if turn.call is not None:
            outcome = _partner_call_run(turn.call)
            if not turn.settling:
                esim.refresh_from_db()
                if outcome == PartnerCall.Outcome.FAILED:
                    turn.call.refresh_from_db()
                    raise EsimError(turn.call.message or "The mobile network refused the change.")
                if outcome == PartnerCall.Outcome.UNKNOWN:
                    raise LineChangePending(PENDING_MESSAGES[PartnerCall.Action(action)])
                return esim
            if outcome == PartnerCall.Outcome.UNKNOWN:
                raise EsimError(EARLIER_PENDING, code="network_change_pending")
            continue  # the earlier call is settled: decide again
        if time.monotonic() > deadline:
            raise EsimError(BUSY, code="network_change_busy")
        time.sleep(0.1)


def _take_turn(
    esim: Esim,
    *,
    action: str,
    actor: str,
    note: str,
    target: Callable[[Esim], str | None],
    bundle: Bundle | None,
) -> _Turn:
    with transaction.atomic():
        locked = esim_lock(esim.pk)
        open_call = PartnerCall.objects.filter(esim=locked, outcome__in=PartnerCall.OPEN).first()
        if open_call is not None:
            if _partner_call_claim(open_call):
                return _Turn(call=open_call, settling=True)
            return _Turn(busy=True)
        to_state = target(locked)
        if to_state is None:
            return _Turn()
        try:
            with transaction.atomic():
                call = PartnerCall.objects.create(
                    esim=locked,
                    bundle=bundle,
                    action=action,
                    to_state=to_state,
                    actor=actor,
                    note=note[:200],
                )
        except IntegrityError:
            return _Turn(busy=True)  # another worker opened one (SQLite locks no rows)
    return _Turn(call=call)


def _partner_call_claim(call: PartnerCall) -> bool:
    """Take an open call to settle it: one whose answer was lost, or whose
    worker died while sending. False when another worker is sending it now."""
    now = timezone.now()
    open_calls = PartnerCall.objects.filter(pk=call.pk)
    if call.outcome == PartnerCall.Outcome.UNKNOWN:
        open_calls = open_calls.filter(outcome=PartnerCall.Outcome.UNKNOWN)
    else:
        stale = now - timedelta(seconds=PARTNER_CALL_STALE_SECONDS)
        open_calls = open_calls.filter(
            outcome=PartnerCall.Outcome.SENDING,
            started_at=call.started_at,
            started_at__lt=stale,
        )
    claimed = (
        open_calls.update(outcome=PartnerCall.Outcome.SENDING, started_at=now, tries=F("tries") + 1)
        == 1
    )
    if claimed:
        call.refresh_from_db()
    return claimed


def _partner_send(call: PartnerCall, esim: Esim) -> None:
    partner = get_partner()
    key = call.idempotency_key
    if call.action == PartnerCall.Action.SUSPEND:
        partner.line_suspend(iccid=esim.iccid, idempotency_key=key)
    elif call.action == PartnerCall.Action.RESUME:
        partner.line_resume(iccid=esim.iccid, idempotency_key=key)
    elif call.action == PartnerCall.Action.TERMINATE:
        partner.line_terminate(iccid=esim.iccid, idempotency_key=key)
    else:
        bundle = _call_bundle(call)
        partner.bundle_add(
            iccid=esim.iccid,
            reference=str(bundle.public_id),
            data_mb=bundle.data_mb,
            validity_days=bundle.validity_days,
            coverage=bundle.plan.destination.country_codes(),
            idempotency_key=key,
        )


def _call_bundle(call: PartnerCall) -> Bundle:
    bundle = (
        Bundle.objects.select_related("order", "plan__destination")
        .filter(partner_calls=call)
        .first()
    )
    if bundle is None:
        raise EsimError(gettext("A bundle call without its bundle."))
    return bundle


def _partner_acted(call: PartnerCall, esim: Esim) -> bool:
    """After a lost answer: does the network show the change done? Only a yes
    settles it; a no may be a request still on its way, so the call stays open
    and is repeated with its key, which the network does not act on twice."""
    try:
        status = get_partner().line_status(iccid=esim.iccid)
    except PartnerError:
        return False
    if call.action == PartnerCall.Action.BUNDLE_ADD:
        return str(_call_bundle(call).public_id) in status.bundle_references
    return status.state == LINE_STATE_AFTER[PartnerCall.Action(call.action)]


def _partner_call_run(call: PartnerCall) -> str:
    """Send (or repeat, with the same key) one call, outside any transaction
    (STYLE 7), and record and apply its outcome. Returns the outcome."""
    esim = Esim.objects.get(pk=call.esim_id)
    if call.tries == 1:
        _disclose(esim)
    try:
        _partner_send(call, esim)
    except PartnerError as exc:
        if not exc.retryable:
            _partner_call_finish(call, acted=False, message=exc.message)
            return PartnerCall.Outcome.FAILED
        if _partner_acted(call, esim):
            _partner_call_finish(call, acted=True, message="reconciled: the network shows it done")
            return PartnerCall.Outcome.SUCCEEDED
        PartnerCall.objects.filter(pk=call.pk, outcome=PartnerCall.Outcome.SENDING).update(
            outcome=PartnerCall.Outcome.UNKNOWN, message=exc.message[:200]
        )
        log.warning(
            "network %s of eSIM %s (key %s): no answer, to be settled",
            call.action,
            call.esim_id,
            call.idempotency_key,
        )
        return PartnerCall.Outcome.UNKNOWN
    _partner_call_finish(call, acted=True)
    return PartnerCall.Outcome.SUCCEEDED


def _partner_call_finish(call: PartnerCall, *, acted: bool, message: str = "") -> None:
    """Close the call and, when the network acted, move the eSIM (or its bundle)
    in the same transaction, under the eSIM's lock."""
    with transaction.atomic():
        if call.bundle_id is not None:
            # Adding a bundle fulfils its top-up order: locked first (core.locks).
            order_id = Bundle.objects.values_list("order_id", flat=True).get(pk=call.bundle_id)
            locks.lock_one(Order.objects.all(), order_id)
        esim = esim_lock(call.esim_id)
        closed = PartnerCall.objects.filter(pk=call.pk, outcome__in=PartnerCall.OPEN).update(
            outcome=PartnerCall.Outcome.SUCCEEDED if acted else PartnerCall.Outcome.FAILED,
            message=message[:200],
            finished_at=timezone.now(),
        )
        if closed and acted:
            _partner_call_apply(call, esim)


def _partner_call_apply(call: PartnerCall, esim: Esim) -> None:
    if call.action == PartnerCall.Action.BUNDLE_ADD:
        _bundle_added(_call_bundle(call))
        return
    if esim.state == call.to_state:
        return
    if not states.can_move(esim, call.to_state):
        # Something else moved the eSIM meanwhile (expiry, say): the network's
        # state is kept in the call; staff see both in the back office.
        log.warning(
            "network %s of eSIM %s done, but the eSIM is now %s",
            call.action,
            esim.pk,
            esim.state,
        )
        return
    states.try_move(esim, call.to_state, actor=call.actor, note=call.note)
    if call.action == PartnerCall.Action.TERMINATE:
        _bundles_cancel(esim)


def partner_calls_settle() -> int:
    """Settle the calls to the network whose answer was lost, or whose worker
    died, by repeating each with its idempotency key (the sweep, every
    minute). Staff hear of one still unanswered after an hour. Returns how
    many were settled."""
    stale = timezone.now() - timedelta(seconds=PARTNER_CALL_STALE_SECONDS)
    due = PartnerCall.objects.filter(
        Q(outcome=PartnerCall.Outcome.UNKNOWN)
        | Q(outcome=PartnerCall.Outcome.SENDING, started_at__lt=stale)
    ).order_by("pk")
    settled = 0
    for call in due:
        if not _partner_call_claim(call):
            continue
        if _partner_call_run(call) != PartnerCall.Outcome.UNKNOWN:
            settled += 1
            continue
        _partner_call_alert_if_old(call)
    return settled


def _partner_call_alert_if_old(call: PartnerCall) -> None:
    """Staff hear, once, of a change the network has not answered for an hour."""
    now = timezone.now()
    if now - call.created_at < PARTNER_CALL_ALERT_AFTER:
        return
    if PartnerCall.objects.filter(pk=call.pk, alerted_at__isnull=True).update(alerted_at=now) != 1:
        return
    esim = Esim.objects.get(pk=call.esim_id)
    enqueue_on_commit(
        notify_staff_task,
        "The mobile network does not answer",
        f"The {call.get_action_display().lower()} of eSIM {esim.public_id} "
        f"(key {call.idempotency_key}) has had no answer after {call.tries} tries since "
        f"{call.created_at:%Y-%m-%d %H:%M} UTC. It is still being asked; check the line "
        "with the network partner.",
    )


def esim_activate(*, esim: Esim, actor: str = "network") -> bool:
    """The network saw the installed eSIM attach for the first time."""
    if esim.state != EsimState.INSTALLED:
        return False
    return states.try_move(
        esim, EsimState.ACTIVE, actor=actor, note="first attached to the network"
    )


def esim_revoke(order_id: int) -> str:
    """The order was fully refunded: take back what it delivered."""
    order = Order.objects.get(pk=order_id)
    if order.kind == Order.Kind.TOPUP:
        bundle = Bundle.objects.filter(order=order).first()
        if bundle is not None:
            Bundle.objects.filter(pk=bundle.pk).exclude(state=Bundle.State.CANCELLED).update(
                state=Bundle.State.CANCELLED
            )
        return "bundle cancelled"
    esim = Esim.objects.filter(order=order).first()
    if esim is None or esim.state in (EsimState.DELETED, EsimState.FAILED):
        return "nothing to revoke"
    esim_delete(esim=esim, actor="refund", note="order refunded")
    return "deleted"


def _bundle_added(bundle: Bundle) -> None:
    """The network has the bundle: it is active here (in the caller's transaction)."""
    now = timezone.now()
    validity: dict[str, Any] = {}
    if Esim.objects.filter(pk=bundle.esim_id, state=EsimState.ACTIVE).exists():
        # A top-up on an eSIM in use runs from now; otherwise validity starts
        # with the first traffic (usage.services.balances_apply).
        validity = {"starts_at": now, "expires_at": now + timedelta(days=bundle.validity_days)}
    activated = Bundle.objects.filter(pk=bundle.pk, state=Bundle.State.PENDING).update(
        state=Bundle.State.ACTIVE, network_added_at=now, last_error="", **validity
    )
    if activated and bundle.order.kind == Order.Kind.TOPUP:
        orders.order_fulfilled(order_id=bundle.order_id, actor="esims")


def esims_expire() -> int:
    """eSIMs on a device whose every bundle has run out of time become expired."""
    now = timezone.now()
    Bundle.objects.filter(
        state__in=(Bundle.State.ACTIVE, Bundle.State.EXHAUSTED), expires_at__lte=now
    ).update(state=Bundle.State.EXPIRED)
    still_valid = Bundle.objects.filter(
        esim=OuterRef("pk"), state__in=(Bundle.State.PENDING, Bundle.State.ACTIVE)
    )
    ended = Esim.objects.filter(
        state__in=(EsimState.READY, EsimState.INSTALLED, EsimState.ACTIVE, EsimState.SUSPENDED),
        bundles__state=Bundle.State.EXPIRED,
    ).exclude(Exists(still_valid))
    count = 0
    for esim in ended.distinct():
        if states.try_move(esim, EsimState.EXPIRED, actor="system", note="every bundle has ended"):
            count += 1
    return count

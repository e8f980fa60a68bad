"""Provisioning an eSIM (SIM-01): ES2+ to the SM-DP+, the operator's batch of
profiles, retries and giving up. Called by the fulfilment job and staff.

Provisioning is a small state machine kept in the ``Esim`` row
(``provision_step``) with one ``Es2Attempt`` row per call, so that whatever
happens to a worker or to the network, the next run knows what was asked and
reconciles with the SM-DP+ before asking again. No network I/O runs inside a
database transaction (STYLE 7)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core import locks, states
from roamwise.core.tasks import enqueue_on_commit
from roamwise.devices.validators import iccid_normalise
from roamwise.kernel.disclosures import disclosure_record
from roamwise.orders import services as orders
from roamwise.orders.models import Order, OrderStatus
from roamwise.orders.tasks import staff_alert
from roamwise.vault.fields import blind_index_value

from ..errors import EsimError
from ..es2plus import (
    Es2Error,
    Es2FunctionFailed,
    Es2PlusClient,
    get_client,
    new_call_id,
)
from ..models import (
    ENDED_STATES,
    Bundle,
    Es2Attempt,
    Esim,
    EsimEvent,
    EsimState,
    ProfileStock,
    ProvisionStep,
    new_matching_id,
)
from ..privacy import ES2PLUS_SENDS
from ..tasks import after_provisioning_failed as after_provisioning_failed_task
from ..tasks import bundle_register as bundle_register_task
from ..tasks import provision_esim as provision_esim_task
from ..tasks import send_esim_ready_email as send_esim_ready_email_task

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_BASE_SECONDS = 30

BACKOFF_MAX_SECONDS = 3600

# States of the profile at the SM-DP+ after a ConfirmOrder with releaseFlag (§3.1.6).
RELEASED_OR_LATER = {"Released", "Downloaded", "Installed"}

RESERVED = {"Allocated", "Linked"}


def _disclose(esim: Esim) -> None:
    """The profile's identifiers leave for the SM-DP+ (SHR-03), as its adapter
    declares (``privacy.py``); the EID only once the phone reported it."""
    disclosure_record(
        subject_id=esim.customer.public_id,
        recipient="smdp",
        categories=[c for c in ES2PLUS_SENDS.categories if c != "user.device.eid" or esim.eid],
        purpose="service",
        reference=str(esim.public_id),
    )


def esim_for_order(*, order: Order, profile_type: str = "") -> Esim:
    """The one eSIM of a paid order, created on first sight with its first bundle.
    ``profile_type``: the source's (ADR 0020), the plan's when not given."""
    existing = Esim.objects.filter(order=order).first()
    if existing is not None:
        return existing
    plan = order.plan
    try:
        with transaction.atomic():
            esim = Esim.objects.create(
                customer=order.customer,
                order=order,
                profile_type=profile_type or plan.profile_type,
                matching_id=new_matching_id(),
            )
            Bundle.objects.create(
                esim=esim,
                order=order,
                plan=plan,
                data_mb=plan.data_mb,
                validity_days=plan.validity_days,
                state=Bundle.State.PENDING,
            )
            EsimEvent.objects.create(
                esim=esim, from_status="", to_status=EsimState.PREPARING, actor="system"
            )
    except IntegrityError:
        return Esim.objects.get(order=order)  # another worker created it first
    return esim


def _lease_seconds() -> float:
    # Long enough for a few ES2+ calls that each may time out.
    return settings.ES2PLUS_TIMEOUT_SECONDS * 6 + 30


def _claim(esim: Esim) -> bool:
    """Take the eSIM for this worker: one provisioning run at a time.

    The backoff is the job queue's schedule; ``next_attempt_at`` tells the
    sweep when a lost retry is overdue."""
    now = timezone.now()
    return (
        Esim.objects.filter(pk=esim.pk, state=EsimState.PREPARING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=_lease_seconds()))
        == 1
    )


def esim_provision(*, order_id: int) -> str:
    """Provision the eSIM of a paid order: DownloadOrder, then ConfirmOrder with
    release. Safe to run any number of times, concurrently, after any crash."""
    order = Order.objects.select_related("plan", "customer").get(pk=order_id)
    if order.kind != Order.Kind.ESIM:
        raise EsimError(gettext("This order is not for a new eSIM."))
    existing = Esim.objects.filter(order=order).first()
    if existing is None and order.status != OrderStatus.PAID:
        return f"order is {order.status}: nothing to provision"
    esim = existing or esim_for_order(order=order)
    if not _claim(esim):
        return f"not now ({esim.state})"
    client = get_client()
    try:
        _provision_steps(esim, client)
    except Es2Error as error:
        return _provision_failed(esim, error)
    finally:
        Esim.objects.filter(pk=esim.pk).update(lease_until=None)
    esim.refresh_from_db()
    return esim.state


def esim_fulfil(order_id: int) -> str:
    """The order's fulfilment, asked for on payment and again by the fulfilment
    sweep while it is pending: provision now, unless a retry is already due later
    (the sweep must not undo the backoff)."""
    existing = Esim.objects.filter(order_id=order_id).first()
    if existing is not None and existing.next_attempt_at > timezone.now():
        return f"next try at {existing.next_attempt_at:%H:%M:%S}"
    return esim_provision(order_id=order_id)


def _call(
    esim: Esim,
    function: str,
    send: Callable[[str], T],
    *,
    record: Callable[[T], None] | None = None,
) -> T:
    """One ES2+ call as an attempt row: written before it leaves, closed after.

    ``record`` writes what the answer gave us in the same transaction as the
    attempt's success, so that neither is kept without the other. If that write
    fails, the attempt is still closed as succeeded (the SM-DP+ acted) and the
    database error goes to the caller, whose business is to undo the call."""
    call_id = new_call_id()
    attempt = Es2Attempt.objects.create(esim=esim, function=function, call_id=call_id)
    try:
        result = send(call_id)
    except Es2Error as error:
        Es2Attempt.objects.filter(pk=attempt.pk).update(
            outcome=Es2Attempt.Outcome.UNKNOWN
            if error.outcome_unknown
            else Es2Attempt.Outcome.FAILED,
            status_code=error.code,
            message=error.message[:200],
            retryable=error.retryable,
            finished_at=timezone.now(),
        )
        raise
    try:
        with transaction.atomic():
            Es2Attempt.objects.filter(pk=attempt.pk).update(
                outcome=Es2Attempt.Outcome.SUCCEEDED, finished_at=timezone.now()
            )
            if record is not None:
                record(result)
    except DatabaseError:
        Es2Attempt.objects.filter(pk=attempt.pk).update(
            outcome=Es2Attempt.Outcome.SUCCEEDED,
            message="succeeded, but its answer could not be written down",
            finished_at=timezone.now(),
        )
        raise
    return result


def _unsettled(esim: Esim, function: str) -> list[Es2Attempt]:
    """Calls of ``function`` whose outcome we never learnt (lost answer or crash),
    the latest first."""
    return list(
        esim.attempts.filter(
            function=function,
            outcome__in=(Es2Attempt.Outcome.UNKNOWN, Es2Attempt.Outcome.SENDING),
        ).order_by("-started_at", "-id")
    )


def _settle(attempts: list[Es2Attempt], *, acted: bool, note: str) -> None:
    Es2Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(
        outcome=Es2Attempt.Outcome.SUCCEEDED if acted else Es2Attempt.Outcome.FAILED,
        message=f"reconciled: {note}"[:200],
        finished_at=timezone.now(),
    )


def _provision_steps(esim: Esim, client: Es2PlusClient) -> None:
    if esim.provision_step == ProvisionStep.DOWNLOAD_ORDER:
        for _ in range(STOCK_TRIES):
            if not (esim.iccid or (not _unsettled(esim, "downloadOrder") and _stock_take(esim))):
                _download_by_type(esim, client)
                break
            if _download_chosen(esim, client):
                break
        else:
            raise Es2Error(
                gettext("the SM-DP+ refused every ICCID of our batch tried"), retryable=True
            )
        esim.refresh_from_db()
    if esim.provision_step == ProvisionStep.CONFIRM_ORDER:
        matching_id, address = _confirm(esim, client)
        _provision_done(esim, address or settings.SMDP_ADDRESS, matching_id=matching_id)


def _reserved(esim: Esim) -> None:
    Esim.objects.filter(pk=esim.pk).update(
        provision_step=ProvisionStep.CONFIRM_ORDER, provision_failures=0
    )


# DownloadOrder answers that say a given ICCID cannot be ours (SGP.22 §5.3.1 Table 24):
# unknown, not allowed for this operator, of another profile type.
NOT_OUR_ICCID = {"8.2.1/3.9", "8.2.1/1.2", "8.2.5/3.8"}

IN_USE = "8.2.1/3.3"

# ICCIDs of the batch tried in one run before waiting (a stale list).
STOCK_TRIES = 5


def profile_stock_add(*, profile_type: str, iccids: list[str]) -> int:
    """Add ICCIDs of the operator's batch (as the SM-DP+ vendor listed them);
    ones already stocked or held by a live eSIM are left out. Returns how many."""
    digits = sorted({iccid_normalise(iccid) for iccid in iccids})
    held = set(
        Esim.objects.filter(
            iccid_index__in=[blind_index_value(Esim, "iccid", iccid) for iccid in digits]
        )
        .exclude(state__in=ENDED_STATES)
        .values_list("iccid_index", flat=True)
    )
    fresh = [i for i in digits if blind_index_value(Esim, "iccid", i) not in held]
    stocked = set(ProfileStock.objects.filter(iccid__in=fresh).values_list("iccid", flat=True))
    fresh = [iccid for iccid in fresh if iccid not in stocked]
    # ignore_conflicts: one added meanwhile by a profile given back is not an error.
    ProfileStock.objects.bulk_create(
        [ProfileStock(iccid=iccid, profile_type=profile_type) for iccid in fresh],
        ignore_conflicts=True,
    )
    return len(fresh)


def _stock_take(esim: Esim) -> bool:
    """Give the eSIM an ICCID of our batch before its first DownloadOrder asks for it."""
    for candidate in ProfileStock.objects.filter(profile_type=esim.profile_type).order_by("id")[
        :20
    ]:
        try:
            with transaction.atomic():
                # Compare-and-set: whoever deletes the row has the ICCID.
                if ProfileStock.objects.filter(pk=candidate.pk).delete()[0] != 1:
                    continue
                esim.iccid = candidate.iccid
                esim.save(update_fields=["iccid", "iccid_index"])
        except IntegrityError:
            # A live eSIM holds it already: not free, whatever the list says.
            ProfileStock.objects.filter(pk=candidate.pk).delete()
            esim.refresh_from_db()
            continue
        return True
    return False


def _stock_return(iccid: str, profile_type: str) -> None:
    """The profile went back to the SM-DP+'s inventory: ours to ask for again."""
    ProfileStock.objects.bulk_create(
        [ProfileStock(iccid=iccid_normalise(iccid), profile_type=profile_type)],
        ignore_conflicts=True,
    )


def _download_chosen(esim: Esim, client: Es2PlusClient) -> bool:
    """DownloadOrder for the ICCID of our batch the eSIM holds; False when the
    SM-DP+ says it cannot be ours (the eSIM then lets go of it).

    Repeating it is safe: it can only ever reserve that one profile, and
    "already in use" (8.2.1/3.3) after a call of ours went unanswered means that
    call reserved it for us, since nobody else orders from our batch.
    """
    unsettled = _unsettled(esim, "downloadOrder")
    try:
        _call(
            esim,
            "downloadOrder",
            lambda call_id: client.download_order(
                profile_type=esim.profile_type, iccid=esim.iccid, call_id=call_id
            ),
            record=lambda _: _reserved(esim),
        )
    except Es2FunctionFailed as error:
        if error.code == IN_USE and unsettled:
            lost, *earlier = unsettled
            with transaction.atomic():
                _settle([lost], acted=True, note="asked again: in use, reserved by this call")
                _settle(earlier, acted=False, note="superseded")
                _reserved(esim)
            return True
        if error.code in NOT_OUR_ICCID or error.code == IN_USE:
            # Not ours to use after all (the batch list is stale): forget it.
            log.warning("ICCID of eSIM %s refused by the SM-DP+ (%s)", esim.pk, error.code)
            _settle(unsettled, acted=False, note=f"asked again: {error.code}")
            esim.iccid = ""
            esim.save(update_fields=["iccid", "iccid_index"])
            return False
        raise
    _settle(unsettled, acted=False, note="asked again: reserved by the new call")
    return True


def _download_by_type(esim: Esim, client: Es2PlusClient) -> None:
    """DownloadOrder for any profile of the type; keep what it reserved, or give it back.

    Every profile the SM-DP+ gave us is used or cancelled: if writing it down
    fails (a database error; a live eSIM already has this ICCID), CancelOrder
    it, and provisioning goes on with a new try."""
    given: list[str] = []

    def keep(iccid: str) -> None:
        given.append(iccid)
        # Saved through the model so the ICCID is sealed and its blind index set;
        # this worker holds the lease, so nobody else writes these fields.
        esim.iccid = iccid
        esim.provision_step = ProvisionStep.CONFIRM_ORDER
        esim.provision_failures = 0
        esim.save(update_fields=["iccid", "iccid_index", "provision_step", "provision_failures"])

    try:
        found = _reconcile_download(esim, client)
        if found is not None:
            with transaction.atomic():
                keep(found)
            return
        _call(
            esim,
            "downloadOrder",
            lambda call_id: client.download_order(profile_type=esim.profile_type, call_id=call_id),
            record=keep,
        )
    except DatabaseError as exc:
        if not given:
            raise
        log.error("the profile reserved for eSIM %s could not be kept: %s", esim.pk, exc)
        esim.refresh_from_db()
        _call(
            esim,
            "cancelOrder",
            lambda call_id: client.cancel_order(
                iccid=given[0], matching_id="", eid="", final_status="Available", call_id=call_id
            ),
        )
        raise Es2Error(
            gettext("the SM-DP+ reserved a profile that could not be kept; it was given back"),
            retryable=True,
        ) from None


def _confirm(esim: Esim, client: Es2PlusClient) -> tuple[str, str]:
    """ConfirmOrder with release; returns (matching ID, SM-DP+ address).

    After a lost answer the same ConfirmOrder is sent again (same ICCID, same
    matching ID): "invalid transition" (8.2.1/3.5) or "matching ID already in
    use" (8.2.6/3.3) then says the lost call confirmed it, as the profile is
    ours and the matching ID a random one only we know (ADR 0006)."""
    if esim.attempts.filter(function="confirmOrder", outcome=Es2Attempt.Outcome.SUCCEEDED).exists():
        # Confirmed already (by a run that stopped before the eSIM was ready).
        return esim.matching_id, esim.smdp_address or settings.SMDP_ADDRESS
    if _unsettled(esim, "confirmOrder") and client.offers_profile_status:
        address = _reconcile_confirm(esim, client)
        if address is not None:
            return esim.matching_id, address
    unsettled = _unsettled(esim, "confirmOrder")
    _disclose(esim)
    try:
        confirmed = _call(
            esim,
            "confirmOrder",
            lambda call_id: client.confirm_order(
                iccid=esim.iccid, matching_id=esim.matching_id, call_id=call_id
            ),
            record=lambda answer: _confirmed(esim, *answer),
        )
    except Es2FunctionFailed as error:
        if unsettled and error.code in ("8.2.1/3.5", "8.2.6/3.3"):
            lost, *earlier = unsettled
            _settle([lost], acted=True, note=f"asked again: {error.code}, confirmed by this call")
            _settle(earlier, acted=False, note="superseded")
            return esim.matching_id, settings.SMDP_ADDRESS
        raise
    _settle(unsettled, acted=False, note="asked again: confirmed by the new call")
    return confirmed


def _confirmed(esim: Esim, matching_id: str, address: str) -> None:
    """Keep what ConfirmOrder answered with the attempt's success: the matching
    ID the SM-DP+ stores (§5.3.2) and the address to download from."""
    esim.matching_id = matching_id  # through the model: sealed with the customer's key
    esim.smdp_address = address or settings.SMDP_ADDRESS
    esim.save(update_fields=["matching_id", "smdp_address"])


def _reconcile_download(esim: Esim, client: Es2PlusClient) -> str | None:
    """Before a new DownloadOrder by profile type: did a lost one reserve a profile?

    Only an SM-DP+ that offers getProfileStatus can say (ADR 0006); without it
    the lost call's profile, if any, cannot be found: staff are told, so that
    the SM-DP+'s operator cancels it."""
    unsettled = _unsettled(esim, "downloadOrder")
    if not unsettled:
        return None
    lost, *earlier = unsettled
    if not client.offers_profile_status:
        _settle(unsettled, acted=False, note="unknown: the SM-DP+ cannot be asked")
        staff_alert(
            "A DownloadOrder went unanswered",
            f"eSIM {esim.public_id}: DownloadOrder {lost.call_id} got no answer and this "
            "SM-DP+ cannot be asked what it reserved. If it reserved a profile, cancel it "
            "there. Stock the operator's ICCIDs (manage.py esim_stock) to avoid this.",
        )
        return None
    status = _call(
        esim,
        "getProfileStatus",
        lambda call_id: client.profile_status(call_id=call_id, download_call=lost.call_id),
    )
    if status is None:
        _settle(unsettled, acted=False, note="the SM-DP+ reserved nothing")
        return None
    _settle([lost], acted=True, note=f"the SM-DP+ reserved a profile ({status.state})")
    _settle(earlier, acted=False, note="superseded")
    return status.iccid


def _reconcile_confirm(esim: Esim, client: Es2PlusClient) -> str | None:
    """Before a new ConfirmOrder: did a lost one release the profile already?

    Returns the SM-DP+ address when it did, None when ConfirmOrder is still needed.
    """
    unsettled = _unsettled(esim, "confirmOrder")
    if not unsettled:
        return None
    status = _call(
        esim,
        "getProfileStatus",
        lambda call_id: client.profile_status(call_id=call_id, iccid=esim.iccid),
    )
    if status is not None and status.state in RELEASED_OR_LATER:
        if status.matching_id != esim.matching_id:
            raise Es2Error(gettext("the profile was released with another matching ID"))
        _settle(unsettled, acted=True, note=f"the profile is {status.state}")
        return settings.SMDP_ADDRESS
    if status is None or status.state not in RESERVED:
        raise Es2Error(
            gettext("the profile is %(state_if_status_else_unknown)s at the SM-DP+")
            % {"state_if_status_else_unknown": status.state if status else "unknown"}
        )
    _settle(unsettled, acted=False, note="the profile was still reserved")
    return None


def _provision_done(esim: Esim, address: str, *, matching_id: str) -> None:
    if matching_id != esim.matching_id:
        # §5.3.2: the SM-DP+ stores the matching ID it returns; that is the one
        # the customer's activation code must carry.
        esim.matching_id = matching_id
        esim.save(update_fields=["matching_id"])
    moved = _ready(esim, address=address, note="profile released by the SM-DP+")
    if not moved:
        esim.refresh_from_db()
        if esim.state == EsimState.DELETED:
            # Deleted (refunded) while we were ordering it: give the profile back.
            _cancel_at_smdp(esim, actor="system")


def _ready(esim: Esim, *, address: str, note: str, supplied: bool = False) -> bool:
    """Ready to install: the order is fulfilled and the customer gets the install
    email. A bundle over ES2+ is then added at the network partner; a
    wholesaler's package carries its data at the wholesaler already
    (``supplied``). False if the eSIM moved meanwhile."""
    with transaction.atomic():
        # The order is moved too: locked first (core.locks).
        locks.lock_one(Order.objects.all(), esim.order_id)
        moved = states.try_move(
            esim,
            EsimState.READY,
            actor="system",
            note=note,
            smdp_address=address,
            provision_step=ProvisionStep.DONE,
            provision_failures=0,
            ready_at=timezone.now(),
        )
        if moved:
            orders.order_fulfilled(order_id=esim.order_id, actor="esims")
            esim_id = esim.pk
            bundle = esim.bundles.get(order_id=esim.order_id)
            enqueue_on_commit(send_esim_ready_email_task, esim_id)
            if supplied:
                Bundle.objects.filter(pk=bundle.pk, state=Bundle.State.PENDING).update(
                    state=Bundle.State.ACTIVE, network_added_at=timezone.now()
                )
            else:
                bundle_id = bundle.pk
                enqueue_on_commit(bundle_register_task, bundle_id)
    return moved


def esim_supplied(
    *, order_id: int, profile_type: str, iccid: str, smdp_address: str, matching_id: str, note: str
) -> bool:
    """The eSIM of a paid order whose profile a wholesaler allocated (ADR 0020):
    created with its install details and made ready at once, as ConfirmOrder
    makes one over ES2+. False when the order has an eSIM already or is no
    longer paid: the profile is then not the order's."""
    order = Order.objects.select_related("plan", "customer").get(pk=order_id)
    with transaction.atomic():
        if order.status != OrderStatus.PAID or Esim.objects.filter(order=order).exists():
            return False
        esim = esim_for_order(order=order, profile_type=profile_type)
        esim.iccid = iccid_normalise(iccid)
        esim.matching_id = matching_id  # through the model: sealed with the customer's key
        esim.save(update_fields=["iccid", "iccid_index", "matching_id"])
        return _ready(esim, address=smdp_address, note=note, supplied=True)


def esim_supply_failed(*, order_id: int, reason: str) -> None:
    """No source could supply the order: it fails and is refunded, as a
    provisioning that gives up does (``esim_give_up``)."""
    order = Order.objects.select_related("plan", "customer").get(pk=order_id)
    if order.status != OrderStatus.PAID:
        return
    esim_give_up(esim=esim_for_order(order=order), reason=reason, actor="system")


def _backoff(failures: int) -> int:
    return int(min(BACKOFF_BASE_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS))


def _provision_failed(esim: Esim, error: Es2Error) -> str:
    esim.refresh_from_db()
    failures = esim.provision_failures + 1
    if error.retryable and failures < settings.ESIM_PROVISION_MAX_ATTEMPTS:
        delay = _backoff(failures)
        Esim.objects.filter(pk=esim.pk).update(
            provision_failures=failures,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            failure_reason=error.message[:200],
        )
        provision_esim_task.schedule((esim.order_id,), delay=delay)
        return f"retry in {delay}s: {error.message}"
    reason = error.message if not error.retryable else f"gave up after {failures} tries"
    esim_give_up(esim=esim, reason=reason[:200], actor="system")
    return f"failed: {reason}"


def esim_give_up(*, esim: Esim, reason: str, actor: str) -> None:
    """End a provisioning that cannot succeed: the order fails and is refunded."""
    with transaction.atomic():
        # The order is moved too: locked first (core.locks).
        locks.lock_one(Order.objects.all(), esim.order_id)
        if not states.try_move(
            esim,
            EsimState.FAILED,
            actor=actor,
            note=reason,
            provision_step=ProvisionStep.GAVE_UP,
            failure_reason=reason[:200],
        ):
            return
        Bundle.objects.filter(esim=esim).update(state=Bundle.State.CANCELLED)
        orders.order_fulfilment_failed(order_id=esim.order_id, actor="esims", note=reason)
        esim_id = esim.pk
        enqueue_on_commit(after_provisioning_failed_task, esim_id)


def esim_after_failure(*, esim_id: int) -> bool:
    """Refund the failed order, then give a reserved profile back (in a job).

    The money first: a refund must not wait on an SM-DP+ that cannot answer.
    Returns True when this run issued the refund (the customer is told then);
    safe to run again, which the provisioning sweep does when the job was lost.
    """
    from roamwise.payments.errors import GatewayRefused, GatewayUnavailable
    from roamwise.payments.services import refund_issue

    esim = Esim.objects.select_related("order").get(pk=esim_id)
    order = esim.order
    refunded_now = False
    if order.status == OrderStatus.FAILED and not order.refunds.exists():
        try:
            refund_issue(
                order=order,
                amount=order.refundable_amount,
                reason="The eSIM could not be provisioned.",
                actor="esims",
            )
        except GatewayUnavailable:
            # The refund row stays pending; its retry or the processor's webhook settles it.
            log.warning("refund of order %s is waiting for the processor", order.pk)
        except GatewayRefused as exc:
            staff_alert(
                "A refund was refused by the processor",
                f"Order {order.public_id} failed and its refund was refused: {exc.message}",
            )
        refunded_now = True
    if not esim.iccid:
        # A DownloadOrder whose answer was lost may have reserved a profile: find
        # it (ADR 0006), so that it is given back too.
        try:
            found = _reconcile_download(esim, get_client())
        except Es2Error:
            found = None
        if found:
            esim.iccid = found
            esim.save(update_fields=["iccid", "iccid_index"])
    if esim.iccid:
        try:
            _cancel_at_smdp(esim, actor="system")
        except EsimError as exc:
            # Not given back now; the profile stays reserved for this eSIM, which
            # the SM-DP+'s operator can cancel. It is never handed to anyone else.
            log.warning("profile of eSIM %s not given back: %s", esim.pk, exc.message)
    return refunded_now


def esim_retry_now(*, esim: Esim, actor: str) -> None:
    """Staff: try a waiting provisioning again now, without the backoff."""
    if esim.state != EsimState.PREPARING:
        raise EsimError(gettext("Only an eSIM being prepared can be retried."))
    Esim.objects.filter(pk=esim.pk).update(next_attempt_at=timezone.now(), lease_until=None)
    EsimEvent.objects.create(
        esim=esim,
        from_status=esim.state,
        to_status=esim.state,
        actor=actor,
        note="provisioning retried by staff",
    )
    order_id = esim.order_id
    enqueue_on_commit(provision_esim_task, order_id)


def _cancel_at_smdp(esim: Esim, *, actor: str) -> bool:
    """CancelOrder a profile not yet downloaded, back to the SM-DP+'s inventory.

    Returns False when the SM-DP+ says it was downloaded meanwhile. An ICCID
    of our batch that no DownloadOrder may have reserved goes back to the stock
    without a call.
    """
    ordering = esim.provision_step == ProvisionStep.DOWNLOAD_ORDER
    if ordering and not _unsettled(esim, "downloadOrder"):
        _stock_return(esim.iccid, esim.profile_type)
        return True
    client = get_client()
    confirm_sent = (
        esim.attempts.filter(function="confirmOrder")
        .exclude(outcome=Es2Attempt.Outcome.FAILED)
        .exists()
    )
    try:
        _call(
            esim,
            "cancelOrder",
            lambda call_id: client.cancel_order(
                iccid=esim.iccid,
                # §5.3.3: the matching ID is given if one was allocated, which
                # only a ConfirmOrder we sent can have done.
                matching_id=esim.matching_id if confirm_sent else "",
                eid=esim.eid or "",
                final_status="Available",
                call_id=call_id,
            ),
        )
    except Es2Error as error:
        if error.code == "8.2.1/3.5" and ordering:
            # Not reserved: the unanswered DownloadOrder never acted on it.
            _stock_return(esim.iccid, esim.profile_type)
            return True
        if error.code == "8.2.1/3.3":  # already downloaded (Table 30)
            return False
        raise EsimError(
            gettext("The SM-DP+ did not cancel the profile: %(message)s")
            % {"message": error.message}
        ) from error
    log.info("profile of eSIM %s given back to the SM-DP+ by %s", esim.pk, actor)
    _stock_return(esim.iccid, esim.profile_type)
    return True

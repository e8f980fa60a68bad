"""eSIM writes: provisioning over ES2+, the lifecycle, top-ups.

Provisioning (SIM-01) is a small state machine kept in the ``Esim`` row
(``provision_step``) with one ``Es2Attempt`` row per call, so that whatever
happens to a worker or to the network, the next run knows what was asked and
reconciles with the SM-DP+ before asking again. No network I/O runs inside a
database transaction (STYLE 7).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import jsonschema
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.catalog.models import Destination, Plan
from roamwise.core import locks, states
from roamwise.core.errors import DomainError, NotFound
from roamwise.core.parsing import identifier, json_loads, storable_text
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, SignatureError, signature_verify
from roamwise.core.tasks import enqueue_on_commit
from roamwise.datamap.registry import RecipientUnreachable
from roamwise.devices.validators import iccid_normalise
from roamwise.kernel.disclosures import disclosure_record
from roamwise.orders import services as orders
from roamwise.orders.models import Order, OrderStatus
from roamwise.orders.tasks import notify_staff as notify_staff_task
from roamwise.orders.tasks import staff_alert
from roamwise.vault.fields import blind_index_lookup, blind_index_value

from . import hooks
from .es2plus import (
    Es2Error,
    Es2FunctionFailed,
    Es2PlusClient,
    get_client,
    new_call_id,
    schema,
    w3c_datetime,
)
from .models import (
    ENDED_STATES,
    Bundle,
    Es2Attempt,
    Esim,
    EsimEvent,
    EsimState,
    PartnerCall,
    ProfileStock,
    ProgressReport,
    ProvisionStep,
    new_matching_id,
)
from .partner import PartnerError, get_partner
from .tasks import after_provisioning_failed as after_provisioning_failed_task
from .tasks import bundle_register as bundle_register_task
from .tasks import provision_esim as provision_esim_task
from .tasks import send_esim_ready_email as send_esim_ready_email_task

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# States of the profile at the SM-DP+ after a ConfirmOrder with releaseFlag (§3.1.6).
RELEASED_OR_LATER = {"Released", "Downloaded", "Installed"}
RESERVED = {"Allocated", "Linked"}


class EsimError(DomainError):
    code = "esim_error"
    status = 409


def _disclose(esim: Esim, recipient: str) -> None:
    """The profile's identifiers leave for the SM-DP+ or the network (SHR-03)."""
    disclosure_record(
        subject_id=esim.customer.public_id,
        recipient=recipient,
        categories=("user.device.sim",),
        purpose="service",
        reference=str(esim.public_id),
    )


# --- Provisioning (SIM-01) -----------------------------------------------------


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


# --- The operator's batch (ADR 0006) -------------------------------------------------

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
    _disclose(esim, "smdp")
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


# --- Lifecycle (SIM-02) ----------------------------------------------------------


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


# --- The network partner: one change at a time, no answer lost (SIM-02, ADR 0006) ---


class LineChangePending(EsimError):
    """The network's answer was lost and it could not be asked yet. The change
    is not dropped: the sweep repeats it with the same idempotency key until
    the network answers, and the eSIM shows the outcome."""

    code = "network_change_pending"
    status = 202


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
        _disclose(esim, "network")
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


# --- Notifications from the SM-DP+ (HandleDownloadProgressInfo) -------------------


class NotificationRefused(DomainError):
    code = "invalid_signature"
    status = 401


class NotificationInvalid(DomainError):
    code = "invalid_notification"
    status = 400


class NotificationConflict(DomainError):
    code = "call_identifier_reused"
    status = 409


NOTIFICATION_SCHEMA = "ES2+HandleDownloadProgressInfo-def.json"
EID_FORMAT = re.compile(r"[0-9]{32}")


def _body_hash(payload: object) -> str:
    """The notification as parsed, in one spelling: a resend with its keys in
    another order or other spacing is the same notification."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _authenticate_notification(body: bytes, headers: Mapping[str, str]) -> None:
    """Mutual TLS checked by the proxy in front, or the shared-secret signature."""
    mtls_header = settings.ES2PLUS_NOTIFICATION_MTLS_HEADER
    if mtls_header and headers.get(mtls_header, "") == "SUCCESS":
        return
    try:
        signature_verify(
            body,
            headers.get(ES2_NOTIFICATION_HEADER, ""),
            settings.ES2PLUS_NOTIFICATION_SECRET,
            tolerance=600,
        )
    except SignatureError as exc:
        raise NotificationRefused(gettext("Notification refused: %(exc)s") % {"exc": exc}) from None


def progress_report_receive(*, body: bytes, headers: Mapping[str, str]) -> str:
    """HandleDownloadProgressInfo (SGP.22 §5.3.5): authenticate, validate against
    the ES2+ schema, apply once per functionCallIdentifier."""
    _authenticate_notification(body, headers)
    try:
        payload = json_loads(body)
    except ValueError as exc:
        raise NotificationInvalid(gettext("The body is not JSON: %(exc)s") % {"exc": exc}) from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(schema(NOTIFICATION_SCHEMA)).iter_errors(payload)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise NotificationInvalid(
            gettext("Not a HandleDownloadProgressInfo (%(where)s): %(message)s")
            % {"where": where, "message": error.message}
        )
    header = payload.get("header")
    if not isinstance(header, dict):
        raise NotificationInvalid(
            gettext("The ES2+ header with its functionCallIdentifier is missing.")
        )
    try:
        call_id = identifier(
            header.get("functionCallIdentifier"), max_length=100, name="functionCallIdentifier"
        )
    except ValueError as exc:
        raise NotificationInvalid(
            gettext("Not a HandleDownloadProgressInfo: %(exc)s.") % {"exc": exc}
        ) from None
    # JSON Schema's "integer" takes 4.0 too, and its patterns take a final newline.
    point = payload["notificationPointId"]
    if not (isinstance(point, int) or point.is_integer()) or not 0 <= point < 2**31:
        raise NotificationInvalid(gettext("notificationPointId is out of range."))
    point = int(point)
    try:
        iccid = iccid_normalise(payload["iccid"])
    except ValueError:
        raise NotificationInvalid(
            gettext("iccid is not 19 or 20 digits (a 19-digit one may end with the pad 'F').")
        ) from None
    try:
        w3c_datetime(payload["timestamp"])
    except ValueError:
        raise NotificationInvalid(
            gettext(
                "timestamp is not a date and time as SGP.22 §5.2.1 gives it "
                "(YYYY-MM-DDThh:mm:ssTZD, e.g. 2001-12-17T09:30:47Z)."
            )
        ) from None
    eid = payload.get("eid", "")
    if eid and not EID_FORMAT.fullmatch(eid):
        raise NotificationInvalid(gettext("eid is not 32 digits."))
    esim = esim_by_iccid(iccid)
    if esim is None:
        raise NotFound(gettext("No eSIM has this ICCID."))
    status = payload["notificationPointStatus"]
    code_data = status.get("statusCodeData") or {}
    code = f"{code_data.get('subjectCode', '')}/{code_data.get('reasonCode', '')}".strip("/")
    requester = storable_text(header.get("functionRequesterIdentifier"), max_length=100)
    body_hash = _body_hash(payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProgressReport.objects.create(
                    requester=requester,
                    call_id=call_id,
                    esim=esim,
                    point=point,
                    status=storable_text(status["status"], max_length=24),
                    status_code=storable_text(code, max_length=20),
                    body_hash=body_hash,
                )
        except IntegrityError:
            earlier = ProgressReport.objects.get(requester=requester, call_id=call_id)
            if earlier.body_hash and earlier.body_hash != body_hash:
                log.warning(
                    "HandleDownloadProgressInfo %s from %s refused: the call identifier "
                    "came before with another body",
                    call_id,
                    requester,
                )
                raise NotificationConflict(
                    gettext(
                        "This functionCallIdentifier came before with another body: a new "
                        "notification needs a new functionCallIdentifier."
                    )
                ) from None
            return "duplicate"
        esim_download_progress(
            esim=esim,
            point=point,
            succeeded=status["status"] in ("Executed-Success", "Executed-WithWarning"),
            eid=eid,
            note=storable_text(code_data.get("message"), max_length=150),
        )
    return "applied"


def esim_by_iccid(iccid: str) -> Esim | None:
    """The eSIM holding this profile: the live one, where an ICCID given back
    to the SM-DP+ went to a newer eSIM; otherwise the latest that had it."""
    try:
        digits = iccid_normalise(iccid)  # §5.2.1: the same profile with or without its pad
    except ValueError:
        return None
    having = Esim.objects.filter(**blind_index_lookup(Esim, "iccid_index", digits))
    return having.exclude(state__in=ENDED_STATES).first() or having.order_by("-pk").first()


def esim_download_progress(*, esim: Esim, point: int, succeeded: bool, eid: str, note: str) -> None:
    """Apply one progress notification to the eSIM's state (idempotent)."""
    if succeeded and point == 4 and esim.state in (EsimState.READY, EsimState.SUSPENDED):
        with transaction.atomic():
            if (
                states.try_move(
                    esim,
                    EsimState.INSTALLED,
                    actor="smdp",
                    note="installed on the device",
                    installed_at=timezone.now(),
                )
                and eid
            ):
                # Through the model, so the EID is sealed with the customer's key.
                esim.eid = eid
                esim.save(update_fields=["eid"])
        return
    if not succeeded and point in (3, 4) and esim.state == EsimState.READY:
        states.try_move(
            esim, EsimState.INSTALL_FAILED, actor="smdp", note=note or "download failed"
        )


# --- Top-ups (SIM-02) ----------------------------------------------------------------


def topup_plans(*, esim: Esim) -> list[Plan]:
    """Plans that can be added to this eSIM: the same profile, for its destination,
    the regions that include it, and global plans."""
    destination = esim.order.plan.destination
    places = Q(destination=destination) | Q(destination__kind=Destination.Kind.GLOBAL)
    if destination.kind == Destination.Kind.COUNTRY:
        places |= Q(destination__countries=destination)
    return list(
        Plan.objects.filter(places, _topup_fits(esim), is_active=True)
        .select_related("destination")
        .distinct()
        .order_by("destination__kind", "price")
    )


def _topup_fits(esim: Esim) -> Q:
    """The plans that can top up this eSIM: of its profile type over ES2+; of a
    top-up package of its supplier for a wholesaler's eSIM (ADR 0024)."""
    allocation = hooks.supplied_allocation(order_id=esim.order_id)
    if allocation is not None:
        return hooks.topup_plans_filter(allocation=allocation)
    return Q(profile_type=esim.profile_type)


def topup_create(
    *,
    customer: User,
    esim: Esim,
    plan: Plan,
    billing: orders.BillingDetails,
    currency: str = "",
    shown_total: Decimal | None = None,
    consent: orders.CheckoutConsent | None = None,
) -> Order:
    """A top-up order for an existing eSIM: no new profile, the same checkout."""
    if esim.customer_id != customer.pk:
        raise NotFound(gettext("No such eSIM."))
    if not esim.is_live or esim.state == EsimState.EXPIRED:
        raise EsimError(gettext("This eSIM can no longer be topped up."))
    if not Plan.objects.filter(_topup_fits(esim), pk=plan.pk).exists():
        raise EsimError(gettext("This plan does not work on this eSIM."))
    with transaction.atomic():
        order = orders.order_create(
            customer=customer,
            plan=plan,
            billing=billing,
            kind=Order.Kind.TOPUP,
            consent=consent,
            currency=currency,
            shown_total=shown_total,
        )
        Bundle.objects.create(
            esim=esim,
            order=order,
            plan=plan,
            data_mb=plan.data_mb,
            validity_days=plan.validity_days,
        )
    return order


def topup_fulfil(order_id: int) -> str:
    """A paid top-up: the bundle goes to the network (no ES2+ call at all), or
    to the wholesaler that supplied the eSIM (ADR 0024)."""
    bundle_esim = Bundle.objects.filter(order_id=order_id).select_related("esim").first()
    if bundle_esim is not None and _supplied(bundle_esim.esim):
        return hooks.topup_at_supplier(order_id)
    with transaction.atomic():
        found = locks.lock(Bundle.objects.filter(order_id=order_id))
        bundle = found[0] if found else None
        if bundle is None:
            raise EsimError(gettext("A top-up order without its bundle."))
        if bundle.state == Bundle.State.AWAITING_PAYMENT:
            Bundle.objects.filter(pk=bundle.pk).update(state=Bundle.State.PENDING)
        bundle_id = bundle.pk
        enqueue_on_commit(bundle_register_task, bundle_id)
    return "bundle queued for the network"


def bundle_register_now(*, bundle_id: int) -> str:
    """Tell the network about a paid bundle, as a partner call with its own
    idempotency key (and the bundle's id as the network's reference). Raises
    ``PartnerError``: retryable while the network's answer is not known."""
    bundle = Bundle.objects.select_related("esim", "order").get(pk=bundle_id)
    if bundle.state != Bundle.State.PENDING:
        return bundle.state
    esim = bundle.esim
    if not esim.iccid:
        return "waiting for the profile"
    Bundle.objects.filter(pk=bundle.pk).update(network_attempts=F("network_attempts") + 1)

    def target(locked: Esim) -> str | None:
        # "": a bundle moves no eSIM state; None: it was added (or cancelled) already.
        still_pending = Bundle.objects.filter(pk=bundle.pk, state=Bundle.State.PENDING).exists()
        return "" if still_pending else None

    try:
        _line_change(
            esim=esim,
            action=PartnerCall.Action.BUNDLE_ADD,
            actor="system",
            note=f"bundle {bundle.public_id}",
            target=target,
            bundle=bundle,
        )
    except EsimError as exc:
        Bundle.objects.filter(pk=bundle.pk).update(last_error=exc.message[:200])
        retryable = isinstance(exc, LineChangePending) or exc.code in (
            "network_change_pending",
            "network_change_busy",
        )
        raise PartnerError(exc.message, retryable=retryable) from exc
    bundle.refresh_from_db()
    return bundle.state


def topup_supplied(*, bundle_id: int) -> bool:
    """A wholesaler added a paid top-up to its eSIM: the bundle is active and
    the order fulfilled, as when the network adds one. False if done already."""
    order_id = Bundle.objects.values_list("order_id", flat=True).get(pk=bundle_id)
    with transaction.atomic():
        # The top-up's order is fulfilled with the bundle: locked first (core.locks).
        locks.lock_one(Order.objects.all(), order_id)
        bundle = locks.lock_one(Bundle.objects.select_related("order"), bundle_id)
        if bundle.state == Bundle.State.AWAITING_PAYMENT:
            Bundle.objects.filter(pk=bundle.pk).update(state=Bundle.State.PENDING)
            bundle.state = Bundle.State.PENDING
        if bundle.state != Bundle.State.PENDING:
            return False
        _bundle_added(bundle)
    return True


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

"""Supplier orders and notifications (ADR 0020).

No network I/O happens inside a transaction: a row is written first (our
transaction id, unique), then the supplier is called, then the answer saved.
A lost answer leaves the row pending; it is reconciled by polling or by the
supplier's webhook before anything is repeated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from roamwise.core.errors import NotFound
from roamwise.core.tasks import enqueue_on_commit
from roamwise.esims.models import Esim, EsimState
from roamwise.suppliers.base import Capability, Money, OrderStatus, SupplierOrder, WebhookEvent
from roamwise.suppliers.errors import InvalidWebhook, NeedsReconciliation
from roamwise.suppliers.models import (
    Allocation,
    PlanSource,
    SupplierPackage,
    SupplierTopUp,
    WebhookReceipt,
)
from roamwise.suppliers.registry import supplier_for
from roamwise.suppliers.tasks import refresh_allocation as refresh_allocation_task
from roamwise.suppliers.tasks import settle_allocation as settle_allocation_task

logger = logging.getLogger(__name__)


def allocation_place(
    *,
    supplier_code: str,
    package_id: str,
    transaction_id: str,
    order_id: int | None = None,
    source_id: int | None = None,
) -> Allocation:
    """Order one profile at the supplier under our ``transaction_id``; calling it
    again with the same id never orders a second one from this shop.

    A row without a reference is an order whose answer was lost (timeout, crash):
    it is sent again only to a supplier that deduplicates on our id; for any
    other, ``NeedsReconciliation`` is raised and nothing is sent."""
    allocation, created = Allocation.objects.get_or_create(
        transaction_id=transaction_id,
        defaults={
            "supplier": supplier_code,
            "package_id": package_id,
            "order_id": order_id,
            "source_id": source_id,
        },
    )
    if not created and (allocation.reference or allocation.status != Allocation.Status.PENDING):
        return allocation
    supplier = supplier_for(supplier_code)
    if not created and Capability.IDEMPOTENT_ORDER not in supplier.capabilities:
        logger.warning("supplier %s: order %s lost its answer", supplier_code, transaction_id)
        if Capability.ORDER_LOOKUP not in supplier.capabilities or order_call_in_flight(allocation):
            raise NeedsReconciliation(
                gettext(
                    "%(supplier_code)s may hold order %(transaction_id)s already: reconcile first"
                )
                % {"supplier_code": supplier_code, "transaction_id": transaction_id},
                supplier_code=supplier_code,
            )
        # Past the longest the call could take: the supplier has the order by
        # now or never got it. Found, it is the answer; absent, it is sent again.
        if supplier.lookup_by_time and _other_order_in_flight(allocation):
            # Its order could be taken for this one's: wait until it has answered.
            raise NeedsReconciliation(
                gettext(
                    "%(supplier_code)s may hold order %(transaction_id)s already: reconcile first"
                )
                % {"supplier_code": supplier_code, "transaction_id": transaction_id},
                supplier_code=supplier_code,
            )
        found = supplier.find_order(
            transaction_id=transaction_id,
            package_id=allocation.package_id,
            placed_after=allocation.created_at,
            known=_known_at(supplier_code, since=allocation.created_at),
        )
        if found is not None:
            logger.info("supplier %s: lost order %s found", supplier_code, transaction_id)
            _apply(allocation, found)
            return allocation
        # Sent again by one worker only: the call's window starts anew, so a
        # concurrent run sees it in flight.
        if not Allocation.objects.filter(
            pk=allocation.pk, created_at=allocation.created_at, reference=""
        ).update(created_at=timezone.now()):
            raise NeedsReconciliation(
                gettext("%(supplier_code)s order %(transaction_id)s is being sent again")
                % {"supplier_code": supplier_code, "transaction_id": transaction_id},
                supplier_code=supplier_code,
            )
    answer = supplier.order(package_id=package_id, transaction_id=transaction_id)
    _apply(allocation, answer)
    return allocation


def allocation_lookup(*, allocation_id: int) -> bool:
    """Look up an order whose answer was lost, without ever sending it again:
    found, the answer is applied (a profile is then settled as any); absent,
    the supplier never got it and the row fails. True when found; raises
    ``NeedsReconciliation`` while another order may be taken for it."""
    allocation = Allocation.objects.get(pk=allocation_id)
    if allocation.reference or allocation.status != Allocation.Status.PENDING:
        return bool(allocation.reference)
    supplier = supplier_for(allocation.supplier)
    if supplier.lookup_by_time and _other_order_in_flight(allocation):
        raise NeedsReconciliation(
            gettext("%(supplier_code)s may hold order %(transaction_id)s already: reconcile first")
            % {"supplier_code": allocation.supplier, "transaction_id": allocation.transaction_id},
            supplier_code=allocation.supplier,
        )
    found = supplier.find_order(
        transaction_id=allocation.transaction_id,
        package_id=allocation.package_id,
        placed_after=allocation.created_at,
        known=_known_at(allocation.supplier, since=allocation.created_at),
    )
    if found is None:
        Allocation.objects.filter(pk=allocation.pk, status=Allocation.Status.PENDING).update(
            status=Allocation.Status.FAILED
        )
        return False
    _apply(allocation, found)
    return True


def _other_order_in_flight(allocation: Allocation) -> bool:
    """Whether another order of the same package at the same supplier may still
    be waiting for its answer (its row has no reference yet)."""
    others = Allocation.objects.filter(
        supplier=allocation.supplier,
        package_id=allocation.package_id,
        status=Allocation.Status.PENDING,
        reference="",
    ).exclude(pk=allocation.pk)
    return any(order_call_in_flight(other) for other in others)


def _known_at(supplier_code: str, *, since: datetime) -> frozenset[str]:
    """What a lost order placed after ``since`` cannot be: the references of
    this supplier's orders and top-ups of ours placed about then, and the
    ICCIDs of all its eSIMs we hold (a top-up goes onto one of them)."""
    rows = Allocation.objects.filter(supplier=supplier_code)
    recent = {"created_at__gte": since - call_window()}
    known = set(rows.filter(**recent).exclude(reference="").values_list("reference", flat=True))
    known |= set(rows.exclude(iccid="").values_list("iccid", flat=True))
    known |= set(
        SupplierTopUp.objects.filter(supplier=supplier_code, **recent)
        .exclude(reference="")
        .values_list("reference", flat=True)
    )
    return frozenset(known)


def call_window() -> timedelta:
    """The longest a call to a supplier may still be answering: the HTTP
    timeout plus the 429 waits, plus a margin."""
    return timedelta(seconds=settings.HTTP_TIMEOUT_SECONDS + settings.SUPPLIER_MAX_RETRY_WAIT + 30)


def order_call_in_flight(allocation: Allocation) -> bool:
    """Whether the order call of ``allocation`` may still be waiting for its answer."""
    return allocation.created_at > timezone.now() - call_window()


def allocation_refresh(*, allocation_id: int) -> Allocation:
    """Poll the supplier for a pending allocation's profile."""
    allocation = Allocation.objects.get(pk=allocation_id)
    if allocation.status != Allocation.Status.PENDING or not allocation.reference:
        return allocation
    answer = supplier_for(allocation.supplier).order_status(reference=allocation.reference)
    _apply(allocation, answer)
    return allocation


def _apply(allocation: Allocation, answer: SupplierOrder) -> None:
    allocation.reference = answer.reference or allocation.reference
    if answer.cost is not None:
        allocation.cost_amount = answer.cost.amount
        allocation.cost_currency = answer.cost.currency
    if answer.status == OrderStatus.READY and answer.install is not None:
        allocation.status = Allocation.Status.READY
        allocation.iccid = answer.install.iccid
        allocation.smdp_address = answer.install.smdp_address
        allocation.matching_id = answer.install.matching_id
    elif answer.status == OrderStatus.FAILED:
        allocation.status = Allocation.Status.FAILED
    # Only a pending row changes: a late or repeated answer cannot overwrite a profile.
    changed = Allocation.objects.filter(pk=allocation.pk, status=Allocation.Status.PENDING).update(
        reference=allocation.reference,
        status=allocation.status,
        iccid=allocation.iccid,
        smdp_address=allocation.smdp_address,
        matching_id=allocation.matching_id,
        cost_amount=allocation.cost_amount,
        cost_currency=allocation.cost_currency,
    )
    allocation.refresh_from_db()
    if changed and allocation.status == Allocation.Status.READY and allocation.order_id:
        # The profile is for an order: it becomes its eSIM, or is reconciled as
        # an extra one if the order went to another source meanwhile.
        enqueue_on_commit(settle_allocation_task, allocation.pk)


def webhook_receive(*, supplier_code: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify and apply a supplier's notification. Returns "applied", "duplicate"
    or "ignored"; raises ``InvalidWebhook`` (400) or ``NotFound`` (404)."""
    event = supplier_for(supplier_code).parse_webhook(body=body, headers=headers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(
                    supplier=supplier_code, event_id=event.event_id, kind=event.kind
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(event.kind)
        if handler is None:
            logger.info("supplier %s: notification %s not used yet", supplier_code, event.kind)
            return "ignored"
        handler(supplier_code, event)
    return "applied"


def _order_event(supplier_code: str, event: WebhookEvent) -> None:
    order = event.order
    if order is None:  # a status we do not act on (not GOT_RESOURCE)
        return
    match = Q(reference=event.reference) if event.reference else Q(pk__in=[])
    if order.transaction_id:
        match |= Q(transaction_id=order.transaction_id)
    allocation = Allocation.objects.filter(match, supplier=supplier_code).first()
    if allocation is None:
        logger.warning(
            "supplier %s: notification for unknown order %s", supplier_code, event.reference
        )
        # Rolled back with the receipt, so that a later repeat can still apply.
        raise NotFound(
            gettext("no order %(transaction_id)s from %(supplier_code)s")
            % {
                "transaction_id": event.reference or order.transaction_id,
                "supplier_code": supplier_code,
            }
        )
    if event.reference and not allocation.reference:
        # Our order call lost its answer: the notice tells us the supplier's reference.
        Allocation.objects.filter(pk=allocation.pk, reference="").update(reference=event.reference)
        allocation.reference = event.reference
    if order.install is not None:
        _apply(allocation, order)
    else:
        # The notice says the profile is ready but does not carry it: fetch it.
        enqueue_on_commit(refresh_allocation_task, allocation.pk)


def _allocation_of(supplier_code: str, event: WebhookEvent) -> Allocation:
    """The supplied eSIM a notification is about, by its ICCID; ``NotFound``
    (404, nothing recorded) for an ICCID that is no live eSIM of ours from
    this supplier."""
    from roamwise.suppliers.monitoring import supplied_allocation

    allocation = (
        supplied_allocation(iccid=event.iccid, supplier_code=supplier_code) if event.iccid else None
    )
    if allocation is None:
        logger.warning(
            "supplier %s: %s notification for unknown ICCID %s",
            supplier_code,
            event.kind,
            event.iccid[:6] + "…" if event.iccid else "(none)",
        )
        raise NotFound(
            gettext("no eSIM of ours from %(supplier_code)s has this ICCID")
            % {"supplier_code": supplier_code}
        )
    return allocation


def _usage_event(supplier_code: str, event: WebhookEvent) -> None:
    """Usage figures in the notice are applied at once; a notice without them
    (Airalo's low-data levels) asks for a reading, within the supplier's cache."""
    from roamwise.suppliers.monitoring import usage_apply
    from roamwise.suppliers.tasks import refresh_usage

    allocation = _allocation_of(supplier_code, event)
    if event.usage is not None:
        usage_apply(allocation_id=allocation.pk, reading=event.usage)
    else:
        enqueue_on_commit(refresh_usage, allocation.pk)


def _validity_event(supplier_code: str, event: WebhookEvent) -> None:
    """eSIM Access: one day of validity is left, and when it ends."""
    from roamwise.usage.services import bundles_expiry_reported

    allocation = _allocation_of(supplier_code, event)
    ends = parse_datetime(event.detail.get("expiredTime", ""))
    if ends is None or ends.tzinfo is None:
        raise InvalidWebhook(gettext("VALIDITY_USAGE without a readable expiredTime"))
    bundles_expiry_reported(order_id=allocation.order_id, expires_at=ends)  # type: ignore[arg-type]


def _esim_status_event(supplier_code: str, event: WebhookEvent) -> None:
    """eSIM Access: the profile was installed (``smdpStatus``) or is in use."""
    from roamwise.esims.services import lifecycle as esims_lifecycle
    from roamwise.esims.services import notifications as esims_notifications

    allocation = _allocation_of(supplier_code, event)
    esim = Esim.objects.get(order__allocations=allocation)
    installed = event.detail.get("smdpStatus") in ("INSTALLATION", "ENABLED")
    in_use = event.detail.get("esimStatus") == "IN_USE"
    # Only forward from ready: a notice older than a pause (delivered out of
    # order) must not undo it.
    if (installed or in_use) and esim.state == EsimState.READY:
        esims_notifications.esim_download_progress(
            esim=esim, point=4, succeeded=True, eid="", note="installed, as its supplier reports"
        )
        esim.refresh_from_db()
    if in_use:
        esims_lifecycle.esim_activate(esim=esim, actor=supplier_code)


def _credit_event(supplier_code: str, event: WebhookEvent) -> None:
    """Airalo's credit limit notification: our remaining credit."""
    from roamwise.suppliers.monitoring import credit_record

    try:
        remaining = Decimal(event.detail.get("remaining", ""))
    except InvalidOperation as exc:
        raise InvalidWebhook(gettext("credit notification without a readable amount")) from exc
    if not remaining.is_finite():
        raise InvalidWebhook(gettext("credit notification without a readable amount"))
    credit_record(supplier_code=supplier_code, balance=Money(remaining, "USD"))


HANDLERS = {
    "order": _order_event,
    "ORDER_STATUS": _order_event,
    "low_data": _usage_event,
    "DATA_USAGE": _usage_event,
    "VALIDITY_USAGE": _validity_event,
    "ESIM_STATUS": _esim_status_event,
    "credit": _credit_event,
}


def plan_sources_set(*, plan_id: int, package_ids: list[int]) -> list[PlanSource]:
    """Supply a plan from these wholesaler packages, preferred first (ADR 0020):
    its sources are replaced by them, and the packages are reviewed (active)
    and linked to the plan. One transaction."""
    from roamwise.catalog.services import catalog_changed

    with transaction.atomic():
        packages = SupplierPackage.objects.select_for_update().in_bulk(package_ids)
        missing = [pk for pk in package_ids if pk not in packages]
        if missing:
            raise NotFound(gettext("no supplier package %(missing_0)s") % {"missing_0": missing[0]})
        PlanSource.objects.filter(plan_id=plan_id).delete()
        sources = [
            PlanSource.objects.create(plan_id=plan_id, rank=rank, package=packages[pk])
            for rank, pk in enumerate(package_ids, start=1)
        ]
        SupplierPackage.objects.filter(pk__in=package_ids).update(active=True, plan_id=plan_id)
    catalog_changed()
    return sources

"""Supplier orders and notifications (ADR 0020).

No network I/O happens inside a transaction: a row is written first (our
transaction id, unique), then the supplier is called, then the answer saved.
A lost answer leaves the row pending; it is reconciled by polling or by the
supplier's webhook before anything is repeated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from roamwise.core.errors import NotFound
from roamwise.core.tasks import enqueue_on_commit
from roamwise.suppliers.base import Capability, OrderStatus, SupplierOrder, WebhookEvent
from roamwise.suppliers.errors import NeedsReconciliation
from roamwise.suppliers.models import Allocation, WebhookReceipt
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
        raise NeedsReconciliation(
            gettext("%(supplier_code)s may hold order %(transaction_id)s already: reconcile first")
            % {"supplier_code": supplier_code, "transaction_id": transaction_id},
            supplier_code=supplier_code,
        )
    answer = supplier.order(package_id=package_id, transaction_id=transaction_id)
    _apply(allocation, answer)
    return allocation


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


HANDLERS = {"order": _order_event, "ORDER_STATUS": _order_event}

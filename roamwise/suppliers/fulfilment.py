"""A paid eSIM order, supplied from its plan's sources in order, with failover (ADR 0020).

The plan's first source is asked; ES2+ stays what it was (``esim_fulfil``,
ADR 0006). A wholesaler gets one ``Allocation`` per order and source (our
transaction id, written before the call). When it is down, out of stock or
out of credit, the order goes to the next source; the one left behind keeps
its row, so that an answer it sends late fills that row and is reconciled:
its profile cancelled where the supplier offers it, otherwise kept
unassigned and staff told, and recorded on the order either way. One order
never gets two eSIMs: ``Esim.order`` is one-to-one and only the allocation
that claims the order (``disposition``) makes one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.catalog.models import Plan
from roamwise.core.tasks import enqueue_on_commit
from roamwise.datamap.registry import RecipientUnreachable
from roamwise.esims import errors as esims_errors
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.esims.services import lifecycle as esims_lifecycle
from roamwise.esims.services import provisioning as esims_provisioning
from roamwise.esims.services import topups as esims_topups
from roamwise.orders import services as orders
from roamwise.orders.models import Order, OrderEvent, OrderStatus
from roamwise.orders.tasks import staff_alert
from roamwise.suppliers import services
from roamwise.suppliers.base import Capability, Money
from roamwise.suppliers.errors import (
    NeedsReconciliation,
    NoCredit,
    SupplierError,
    SupplierUnavailable,
)
from roamwise.suppliers.models import Allocation, PlanSource, SupplierPackage, SupplierTopUp
from roamwise.suppliers.registry import supplier_for
from roamwise.suppliers.selectors import ES2PLUS

logger = logging.getLogger(__name__)
ACTOR = "suppliers"
# A supplier that accepted an order but sent no profile within this long is
# left behind for the next source (eSIM Access allocates within seconds).
ALLOCATION_WAIT = timedelta(minutes=30)
Disposition = Allocation.Disposition


def plan_sources(plan: Plan) -> list[PlanSource]:
    """The plan's sources, preferred first; ES2+ with the plan's profile type
    when it names none (every plan before sources existed)."""
    sources = list(PlanSource.objects.filter(plan=plan).select_related("package"))
    return sources or [PlanSource(plan=plan, rank=1, profile_type=plan.profile_type)]


def transaction_id_for(*, order: Order, source: PlanSource) -> str:
    # One per order and source: a repeat of the job finds the same allocation.
    return f"rw-{order.public_id.hex}-{source.pk}"


def esim_order_fulfil(order_id: int) -> str:
    """``FULFILLERS`` of eSIM orders: safe to run again (the fulfilment sweep
    does while the order is pending), which polls a pending allocation."""
    if Esim.objects.filter(order_id=order_id).exists():
        # Being provisioned over ES2+ (or done): that path reconciles itself.
        return esims_provisioning.esim_fulfil(order_id)
    order = Order.objects.select_related("plan").get(pk=order_id)
    if order.status != OrderStatus.PAID:
        return f"order is {order.status}: nothing to supply"
    tried = {a.source_id: a for a in Allocation.objects.filter(order=order)}
    sources = plan_sources(order.plan)
    for index, source in enumerate(sources):
        if source.is_es2plus:
            return _es2plus(order, source)
        earlier = tried.get(source.pk)
        if earlier is not None and (
            earlier.status == Allocation.Status.FAILED or earlier.disposition != Disposition.CURRENT
        ):
            continue  # failed before, or left behind: the order moved on from it
        outcome = _from_supplier(order, source, last=index == len(sources) - 1)
        if outcome is not None:
            return outcome
    esims_provisioning.esim_supply_failed(
        order_id=order.pk, reason="No source could supply this eSIM."
    )
    return "failed: every source failed"


def _es2plus(order: Order, source: PlanSource) -> str:
    if order.supplier != ES2PLUS:  # failover from a wholesaler: the cost is not known
        orders.order_cost_record(order_id=order.pk, supplier=ES2PLUS, cost=None)
    if source.profile_type != order.plan.profile_type:
        esims_provisioning.esim_for_order(order=order, profile_type=source.profile_type)
    return esims_provisioning.esim_fulfil(order.pk)


def _from_supplier(order: Order, source: PlanSource, *, last: bool = False) -> str | None:
    """Order at the source's supplier; None when the order must go to the next.

    At the last source, an order call whose answer was lost at a supplier that
    can look it up is not given up at once: the order waits (up to
    ``ALLOCATION_WAIT``) until the call is over and the lookup says whether
    the supplier has it, so it ends supplied by it or refunded, never with a
    profile bought for no one."""
    package = source.package
    assert package is not None  # not ES2+, so a package (the model's constraint)
    transaction_id = transaction_id_for(order=order, source=source)
    try:
        allocation = services.allocation_place(
            supplier_code=package.supplier,
            package_id=package.package_id,
            transaction_id=transaction_id,
            order_id=order.pk,
            source_id=source.pk,
        )
    except NeedsReconciliation as exc:
        if _in_flight(transaction_id):
            # Another run of this job placed the order moments ago and waits
            # for its answer: not a lost one yet.
            return f"waiting for {package.supplier}: an order call is in flight"
        if last and _looked_up_later(package.supplier, transaction_id):
            return f"waiting for {package.supplier}: its answer was lost, looked up first"
        _leave_behind(order, package.supplier, transaction_id, exc)
        return None
    except SupplierUnavailable as exc:
        if last and _looked_up_later(package.supplier, transaction_id):
            return f"waiting for {package.supplier}: its answer was lost, looked up first"
        _leave_behind(order, package.supplier, transaction_id, exc)
        return None
    except SupplierError as exc:
        _leave_behind(order, package.supplier, transaction_id, exc)
        if isinstance(exc, NoCredit):
            _credit_ran_out(package.supplier)
        return None
    if allocation.status == Allocation.Status.PENDING and allocation.created_at < (
        timezone.now() - ALLOCATION_WAIT
    ):
        # Accepted but never allocated: the order goes on; a profile sent after
        # all is reconciled as a late one.
        _leave_behind(
            order,
            package.supplier,
            transaction_id,
            SupplierUnavailable(f"no profile after {ALLOCATION_WAIT}"),
        )
        return None
    if allocation.status == Allocation.Status.PENDING and allocation.reference:
        try:
            allocation = services.allocation_refresh(allocation_id=allocation.pk)
        except SupplierError as exc:
            # The order is placed: wait for its webhook or the next poll.
            logger.info("supplier %s: poll of %s failed: %s", package.supplier, transaction_id, exc)
    if allocation.status == Allocation.Status.FAILED:
        _leave_behind(order, package.supplier, transaction_id, None)
        return None
    if allocation.status == Allocation.Status.READY:
        return allocation_settle(allocation_id=allocation.pk)
    return f"waiting for {package.supplier}"


def _looked_up_later(supplier_code: str, transaction_id: str) -> bool:
    """Whether an order call without an answer at this supplier is to be looked
    up (``ORDER_LOOKUP``) by a later run rather than given up: for
    ``ALLOCATION_WAIT`` after its row was written."""
    if Capability.ORDER_LOOKUP not in supplier_for(supplier_code).capabilities:
        return False
    return Allocation.objects.filter(
        transaction_id=transaction_id,
        status=Allocation.Status.PENDING,
        reference="",
        created_at__gte=timezone.now() - ALLOCATION_WAIT,
    ).exists()


def lost_allocations_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic reconciliation of orders left behind with their answer lost
    (ADR 0037): once the call is over, each is looked up at its supplier
    (``ORDER_LOOKUP``). Found, its profile is an extra one, cancelled there or
    kept and staff told (``allocation_settle``); absent, it never reached the
    supplier and is marked failed. Nothing is ever sent again from here."""
    now = now or timezone.now()
    outcome = {"found": 0, "absent": 0}
    lost = Allocation.objects.filter(
        disposition=Disposition.ABANDONED,
        status=Allocation.Status.PENDING,
        reference="",
        created_at__lte=now - services.call_window(),
    ).order_by("pk")
    for allocation in list(lost[:100]):
        supplier = supplier_for(allocation.supplier)
        if Capability.ORDER_LOOKUP not in supplier.capabilities:
            continue  # its webhook or poll brings the reference (eSIM Access)
        try:
            found = services.allocation_lookup(allocation_id=allocation.pk)
        except SupplierError as exc:
            logger.warning("lost order %s not looked up: %s", allocation.transaction_id, exc)
            continue
        outcome["found" if found else "absent"] += 1
    return outcome


def _in_flight(transaction_id: str) -> bool:
    """Whether the order call of this allocation may still be waiting for its answer."""
    allocation = Allocation.objects.filter(transaction_id=transaction_id).first()
    return allocation is not None and services.order_call_in_flight(allocation)


def _leave_behind(
    order: Order, supplier_code: str, transaction_id: str, error: SupplierError | None
) -> None:
    unknown = isinstance(error, SupplierUnavailable | NeedsReconciliation)
    rows = Allocation.objects.filter(transaction_id=transaction_id)
    if unknown:
        # The supplier may still act on it: the row stays pending for a late answer.
        rows.update(disposition=Disposition.ABANDONED)
        note = f"{supplier_code} did not answer ({error.message if error else ''}): next source"
    else:
        rows.filter(status=Allocation.Status.PENDING).update(status=Allocation.Status.FAILED)
        rows.update(disposition=Disposition.ABANDONED)
        note = f"{supplier_code} refused ({error.message if error else 'failed'}): next source"
    logger.warning("order %s: %s", order.pk, note)
    orders.order_note(order_id=order.pk, actor=ACTOR, note=note)


def allocation_settle(*, allocation_id: int) -> str:
    """A profile arrived for an allocation (at once, by webhook or by polling):
    it becomes the order's eSIM if the order still waits for this source;
    otherwise it is an extra profile, reconciled. Safe to run twice."""
    allocation = Allocation.objects.get(pk=allocation_id)
    if allocation.order_id is None or allocation.status != Allocation.Status.READY:
        return allocation.status
    if allocation.disposition == Disposition.CURRENT:
        with transaction.atomic():
            claimed = Allocation.objects.filter(
                pk=allocation.pk, disposition=Disposition.CURRENT
            ).update(disposition=Disposition.FULFILLED)
            made = claimed and _esim_from(allocation)
            if claimed and not made:
                Allocation.objects.filter(pk=allocation.pk).update(
                    disposition=Disposition.ABANDONED
                )
        if made:
            _record_cost(allocation)
            return "ready"
        allocation.refresh_from_db()
    if allocation.disposition == Disposition.ABANDONED:
        return _extra_profile(allocation)
    return allocation.disposition


def _record_cost(allocation: Allocation) -> None:
    """The order's supplier and cost are those of the allocation that supplied
    it: what the supplier said it charged, else its package's price (ADR 0025)."""
    cost: Money | None = None
    if allocation.cost_amount is not None and allocation.cost_currency:
        cost = Money(allocation.cost_amount, allocation.cost_currency)
    else:
        package = SupplierPackage.objects.filter(
            supplier=allocation.supplier, package_id=allocation.package_id
        ).first()
        if package is not None:
            cost = Money(package.wholesale_amount, package.wholesale_currency)
    orders.order_cost_record(
        order_id=allocation.order_id,  # type: ignore[arg-type]
        supplier=allocation.supplier,
        cost=cost,
    )


def _esim_from(allocation: Allocation) -> bool:
    try:
        return esims_provisioning.esim_supplied(
            order_id=allocation.order_id,  # type: ignore[arg-type]
            profile_type=f"{allocation.supplier}:{allocation.package_id}"[:64],
            iccid=allocation.iccid,
            smdp_address=allocation.smdp_address,
            matching_id=allocation.matching_id,
            note=f"profile allocated by {allocation.supplier}",
        )
    except ValueError as exc:  # not an ICCID: this profile cannot be installed
        logger.warning("supplier %s sent a bad ICCID: %s", allocation.supplier, exc)
        return False


def _extra_profile(allocation: Allocation) -> str:
    """A second profile for an order that has (or gave up on) its eSIM: give it
    back where the supplier offers it, otherwise keep it unassigned and tell staff."""
    if not Allocation.objects.filter(pk=allocation.pk, disposition=Disposition.ABANDONED).update(
        disposition=Disposition.KEPT
    ):
        return "settled already"
    supplier = supplier_for(allocation.supplier)
    outcome = Disposition.KEPT
    why = f"{allocation.supplier} offers no cancel"
    if Capability.CANCEL in supplier.capabilities:
        try:
            supplier.cancel(reference=allocation.reference)
            outcome, why = Disposition.CANCELLED, ""
        except SupplierError as exc:
            why = f"cancel failed: {exc.message}"
    Allocation.objects.filter(pk=allocation.pk).update(disposition=outcome)
    if outcome == Disposition.CANCELLED:
        note = f"late profile from {allocation.supplier} ({allocation.reference}) cancelled there"
    else:
        note = f"late profile from {allocation.supplier} ({allocation.reference}) kept: {why}"
        staff_alert(
            "An extra eSIM profile is held unassigned",
            f"Order {allocation.order_id}: {allocation.supplier} allocated a profile "
            f"(order {allocation.reference}, transaction {allocation.transaction_id}) after "
            f"the order had gone to another source. It is assigned to no one; {why}. "
            "Ask the supplier for a refund or use it for a later order by hand.",
        )
    logger.warning("order %s: %s", allocation.order_id, note)
    orders.order_note(order_id=allocation.order_id, actor=ACTOR, note=note)  # type: ignore[arg-type]
    return outcome


def esim_order_revoke(order_id: int) -> str:
    """``REVOKERS`` of eSIM orders: the order was refunded in full. A wholesaler's
    eSIM is cancelled at its supplier while not installed, else terminated,
    where the supplier offers it; otherwise staff are told to end it there.
    An eSIM over ES2+ is taken back as before (``esim_revoke``)."""
    used = Allocation.objects.filter(order_id=order_id, disposition=Disposition.FULFILLED).first()
    if used is None:
        return esims_lifecycle.esim_revoke(order_id)
    esim = Esim.objects.filter(order_id=order_id).first()
    if esim is None or esim.state in (EsimState.DELETED, EsimState.FAILED):
        return "nothing to revoke"
    problem = _supplier_end(esim=esim, used=used)
    if problem:
        staff_alert(
            "A refunded eSIM must be ended at its supplier by hand",
            f"Order {order_id}: {problem}. End order {used.reference} there.",
        )
        orders.order_note(order_id=order_id, actor=ACTOR, note=problem)
        return f"not ended: {problem}"
    esims_lifecycle.esim_supplied_end(
        esim=esim, actor="refund", note=f"order refunded; {used.supplier}"
    )
    orders.order_note(
        order_id=order_id, actor=ACTOR, note=f"eSIM ended at {used.supplier} ({used.reference})"
    )
    return "deleted"


def _supplier_end(*, esim: Esim, used: Allocation) -> str:
    """Ask the wholesaler to end ``esim``: cancelled while not installed, else
    terminated, where it offers that. What went wrong, or "" once it is ended
    there (the eSIM here is left as it is either way)."""
    supplier = supplier_for(used.supplier)
    capabilities = supplier.capabilities
    try:
        if esim.state == EsimState.READY and Capability.CANCEL in capabilities:
            supplier.cancel(reference=used.reference)
        elif Capability.TERMINATE in capabilities:
            supplier.terminate(iccid=used.iccid)
        else:
            return f"{used.supplier} offers neither cancel nor terminate"
    except SupplierError as exc:
        # Still live at the supplier.
        logger.warning("eSIM %s: %s did not end it: %s", esim.public_id, used.supplier, exc)
        return f"{used.supplier} did not end it: {exc.message}"
    return ""


def esim_supplied_delete(*, esim: Esim, actor: str, note: str) -> Esim:
    """``esims.services.lifecycle.esim_delete`` of a wholesaler's eSIM: ended at its
    supplier first (cancelled while not installed, else terminated), then
    deleted here; ``EsimError`` with the reason when the supplier did not."""
    used = Allocation.objects.filter(
        order_id=esim.order_id, disposition=Disposition.FULFILLED
    ).first()
    if used is None:
        raise esims_errors.EsimError("This eSIM's supplier is not known.")
    problem = _supplier_end(esim=esim, used=used)
    if problem:
        raise esims_errors.EsimError(
            "This eSIM could not be ended at its provider just now; "
            "try again later or ask us to end it."
        )
    esims_lifecycle.esim_supplied_end(esim=esim, actor=actor, note=f"{note}; {used.supplier}")
    esim.refresh_from_db()
    return esim


# --- Top-ups of a wholesaler's eSIM (ADR 0024) -------------------------------------


def topup_transaction_id(order: Order) -> str:
    return f"rw-topup-{order.public_id.hex}"


def topup_at_supplier(order_id: int) -> str:
    """A paid top-up of a wholesaler's eSIM, placed at that supplier under our
    transaction id (written before the call). Safe to run again: the fulfilment
    sweep does while the order is paid. A refusal (no credit, unknown package)
    fails the order, which is refunded; a supplier that is down is asked again
    on the next run; a call whose answer was lost is never repeated blindly."""
    order = Order.objects.select_related("plan").get(pk=order_id)
    bundle = Bundle.objects.select_related("esim").get(order_id=order_id)
    if order.status != OrderStatus.PAID:
        return f"order is {order.status}: nothing to top up"
    used = Allocation.objects.filter(
        order_id=bundle.esim.order_id, disposition=Disposition.FULFILLED
    ).first()
    assert used is not None  # the caller checked that a supplier supplied the eSIM
    package = (
        PlanSource.objects.filter(
            plan=order.plan,
            package__supplier=used.supplier,
            package__top_up=True,
            package__active=True,
        )
        .select_related("package")
        .order_by("rank")
        .first()
    )
    if package is None or package.package is None:
        return _topup_failed(order, f"no top-up package of {used.supplier} supplies this plan")
    topup, created = SupplierTopUp.objects.get_or_create(
        transaction_id=topup_transaction_id(order),
        defaults={
            "supplier": used.supplier,
            "order": order,
            "package_id": package.package.package_id,
        },
    )
    if topup.status == SupplierTopUp.Status.DONE:
        esims_topups.topup_supplied(bundle_id=bundle.pk)
        return "added"
    if topup.status == SupplierTopUp.Status.FAILED:
        return "failed"
    if not created:
        # An earlier call's answer was lost, and no supplier documents that a
        # repeated top-up is not added twice: it is never sent again. Where the
        # supplier can say whether it landed, it is asked once the call is
        # over (added, or failed and refunded); otherwise staff check it there.
        return topup_reconcile(topup_id=topup.pk)
    supplier = supplier_for(used.supplier)
    try:
        answer = supplier.top_up(
            iccid=used.iccid, package_id=topup.package_id, transaction_id=topup.transaction_id
        )
    except SupplierUnavailable as exc:
        logger.warning("top-up %s at %s: %s", topup.transaction_id, used.supplier, exc.message)
        if exc.detail == "429":
            # Rate limited: not processed, so the next run may send it afresh.
            SupplierTopUp.objects.filter(pk=topup.pk).delete()
            return "waiting for the supplier"
        # Down or timed out: whether it acted is unknown.
        if Capability.TOP_UP_LOOKUP in supplier.capabilities:
            orders.order_note(
                order_id=order.pk,
                actor=ACTOR,
                note=f"top-up at {used.supplier} got no answer: the sweep asks whether it landed",
            )
            return "waiting for reconciliation"
        return _topup_lost(order, topup)
    except SupplierError as exc:
        SupplierTopUp.objects.filter(pk=topup.pk).update(status=SupplierTopUp.Status.FAILED)
        if isinstance(exc, NoCredit):
            _credit_ran_out(used.supplier)
        return _topup_failed(order, f"{used.supplier} refused the top-up: {exc.message}")
    SupplierTopUp.objects.filter(pk=topup.pk, status=SupplierTopUp.Status.PENDING).update(
        status=SupplierTopUp.Status.DONE,
        reference=answer.reference[:128],
        cost_amount=answer.cost.amount if answer.cost else None,
        cost_currency=answer.cost.currency if answer.cost else "",
    )
    esims_topups.topup_supplied(bundle_id=bundle.pk)
    orders.order_note(
        order_id=order.pk, actor=ACTOR, note=f"top-up added at {used.supplier} ({answer.reference})"
    )
    return "added"


def topup_reconcile(*, topup_id: int, now: datetime | None = None) -> str:
    """A paid top-up whose call to its supplier got no answer: once that call
    is over, ask the supplier whether it landed (``TOP_UP_LOOKUP``). Landed,
    the bundle is added and the order fulfilled; not there, the top-up failed
    and the order is refunded. Never refunded while it may have landed: a
    supplier that cannot say, or cannot be reached, leaves it pending (staff
    are told once)."""
    now = now or timezone.now()
    topup = SupplierTopUp.objects.select_related("order").get(pk=topup_id)
    order = topup.order
    if topup.status != SupplierTopUp.Status.PENDING or order.status != OrderStatus.PAID:
        return f"top-up is {topup.status}, order {order.status}"
    if topup.created_at > now - services.call_window():
        return "its call may still be answering"
    supplier = supplier_for(topup.supplier)
    if Capability.TOP_UP_LOOKUP not in supplier.capabilities:
        return _topup_lost(order, topup)
    bundle = Bundle.objects.select_related("esim").get(order_id=order.pk)
    try:
        found = supplier.find_top_up(
            iccid=bundle.esim.iccid,
            package_id=topup.package_id,
            transaction_id=topup.transaction_id,
            placed_after=topup.created_at,
        )
    except SupplierError as exc:
        # Asked again at the next sweep; nothing is refunded meanwhile.
        logger.warning("top-up %s not reconciled yet: %s", topup.transaction_id, exc.message)
        return "supplier not reached: asked again later"
    if found is None:
        if SupplierTopUp.objects.filter(pk=topup.pk, status=SupplierTopUp.Status.PENDING).update(
            status=SupplierTopUp.Status.FAILED
        ):
            return _topup_failed(
                order, f"the top-up never reached {topup.supplier}, as it confirms"
            )
        return "reconciled elsewhere"
    if SupplierTopUp.objects.filter(pk=topup.pk, status=SupplierTopUp.Status.PENDING).update(
        status=SupplierTopUp.Status.DONE,
        reference=found.reference[:128],
        cost_amount=found.cost.amount if found.cost else None,
        cost_currency=found.cost.currency if found.cost else "",
    ):
        esims_topups.topup_supplied(bundle_id=bundle.pk)
        orders.order_note(
            order_id=order.pk,
            actor=ACTOR,
            note=f"top-up found at {topup.supplier} after its answer was lost ({found.reference})",
        )
    return "added"


def topups_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic sweep of top-ups at suppliers (ADR 0037): every paid top-up
    whose supplier call got no answer is reconciled with the supplier, and
    every top-up order that failed there and is not refunded yet is refunded.
    A refund is issued only after the supplier said the top-up is not there."""
    now = now or timezone.now()
    outcome = {"reconciled": 0, "refunded": 0}
    pending = SupplierTopUp.objects.filter(
        status=SupplierTopUp.Status.PENDING,
        order__status=OrderStatus.PAID,
        created_at__lte=now - services.call_window(),
    ).values_list("pk", flat=True)
    for topup_id in list(pending[:200]):
        result = topup_reconcile(topup_id=topup_id, now=now)
        if result == "added" or result.startswith("failed"):
            outcome["reconciled"] += 1
    unrefunded = Order.objects.filter(
        supplier_topup__status=SupplierTopUp.Status.FAILED,
        status=OrderStatus.FAILED,
        refunds__isnull=True,
    ).values_list("pk", flat=True)
    for order_id in list(unrefunded[:200]):
        if failed_order_refund(order_id):
            outcome["refunded"] += 1
    return outcome


def _topup_lost(order: Order, topup: SupplierTopUp) -> str:
    note = f"top-up at {topup.supplier} got no answer: check it there before anything else"
    if not OrderEvent.objects.filter(order=order, note=note).exists():
        from roamwise.orders.tasks import staff_alert

        orders.order_note(order_id=order.pk, actor=ACTOR, note=note)
        staff_alert(
            "A top-up at a supplier got no answer",
            f"Order {order.public_id}: the top-up {topup.transaction_id} sent to "
            f"{topup.supplier} got no answer. Check whether it was added there; then "
            "fulfil or refund the order in the back office.",
        )
    return "waiting for staff"


def _topup_failed(order: Order, reason: str) -> str:
    """The top-up cannot be added: its order fails and is refunded, never left hanging."""
    logger.warning("order %s: %s", order.pk, reason)
    with transaction.atomic():
        Bundle.objects.filter(order=order).exclude(state=Bundle.State.CANCELLED).update(
            state=Bundle.State.CANCELLED
        )
        failed = orders.order_fulfilment_failed(order_id=order.pk, actor=ACTOR, note=reason)
        if failed:
            from roamwise.suppliers.tasks import refund_failed_order

            enqueue_on_commit(refund_failed_order, order.pk)
    return f"failed: {reason}"


def failed_order_refund(order_id: int) -> bool:
    """Refund a failed order in full, once. True when this run issued it."""
    from roamwise.payments.errors import GatewayRefused, GatewayUnavailable
    from roamwise.payments.services import refund_issue

    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.FAILED or order.refunds.exists():
        return False
    try:
        refund_issue(
            order=order,
            amount=order.refundable_amount,
            reason="The top-up could not be added.",
            actor=ACTOR,
        )
    except GatewayUnavailable:
        logger.warning("refund of order %s is waiting for the processor", order.pk)
    except GatewayRefused as exc:
        from roamwise.orders.tasks import staff_alert

        staff_alert(
            "A refund was refused by the processor",
            f"Order {order.public_id} failed and its refund was refused: {exc.message}",
        )
    return True


def _credit_ran_out(supplier_code: str) -> None:
    """An order was refused for lack of credit: read the balance now, so that
    staff hear of it below its floor at once rather than at the next check."""
    from roamwise.suppliers.monitoring import credit_read

    try:
        credit_read(supplier_code=supplier_code)
    except SupplierError as exc:
        logger.warning("supplier %s: credit not read: %s", supplier_code, exc.message)


def esims_end_for_erasure(esims_of_subject: QuerySet[Esim]) -> int:
    """``Erasure.at_recipients`` of eSIMs (ADR 0010 step 0): a wholesaler's eSIM
    is ended at its supplier, as a refund ends it; the others go to the SM-DP+
    and the network (``esims_lifecycle.esims_end_for_erasure``). A supplier that does not
    end one raises ``RecipientUnreachable``, so nothing is erased. Returns how
    many were ended."""
    live = esims_of_subject.exclude(state__in=(EsimState.DELETED, EsimState.FAILED))
    supplied: dict[int, Allocation] = {
        used.order_id: used
        for used in Allocation.objects.filter(
            order_id__in=live.values("order_id"), disposition=Disposition.FULFILLED
        )
        if used.order_id is not None
    }
    ended = 0
    for esim in live.filter(order_id__in=list(supplied)).order_by("pk"):
        used = supplied[esim.order_id]
        problem = _supplier_end(esim=esim, used=used)
        if problem:
            raise RecipientUnreachable(
                gettext("eSIM %(public_id)s was not ended: %(problem)s")
                % {"public_id": esim.public_id, "problem": problem}
            )
        esims_lifecycle.esim_supplied_end(
            esim=esim, actor="erasure", note=f"the customer's data is erased; {used.supplier}"
        )
        ended += 1
    return ended + esims_lifecycle.esims_end_for_erasure(live.exclude(order_id__in=list(supplied)))

"""Payment writes: start a checkout, receive processor events exactly once, refund."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core import locks, states
from roamwise.core.errors import DomainError
from roamwise.core.money import Money, quantum
from roamwise.core.tasks import enqueue_on_commit
from roamwise.kernel.disclosures import disclosure_record
from roamwise.orders import services as orders
from roamwise.orders.errors import OrderNotPayable, RefundNotAllowed
from roamwise.orders.models import Order, OrderStatus, Refund
from roamwise.orders.tasks import fulfil_order as fulfil_order_task
from roamwise.orders.tasks import notify_staff as notify_staff_task
from roamwise.orders.tasks import notify_staff_of_dispute as notify_staff_of_dispute_task
from roamwise.orders.tasks import revoke_order as revoke_order_task
from roamwise.orders.tasks import send_order_paid_emails as send_order_paid_emails_task
from roamwise.retention.models import LegalHold
from roamwise.retention.services import legal_hold_place

from .errors import GatewayRefused
from .gateways import get_gateway
from .gateways.base import GatewayEvent
from .models import Payment, WebhookEvent

log = logging.getLogger(__name__)

# Refund.amount holds 8 digits before the point.
MAX_REFUND_AMOUNT = Decimal(10**8)


def payment_start(*, order: Order) -> str:
    """Open a checkout at the processor; return the URL of its hosted page.

    An order has one open checkout at a time: asking again returns the same
    page, so a customer cannot pay one order twice.
    """
    if not order.can_pay:
        raise OrderNotPayable(gettext("This order is not waiting for payment."))
    order = orders.order_await_payment(order=order)
    pending = order.payments.filter(status=Payment.Status.PENDING).exclude(checkout_url="").first()
    if pending is not None:
        return pending.checkout_url
    gateway = get_gateway()
    order_url = settings.SITE_URL + reverse("orders:detail", args=[order.public_id])
    # Logged before the call: once sent, it is disclosed even if the answer is lost.
    # What the adapter declares it sends (privacy.py), less the processor's own
    # references: those go back to it only to refund or to ask how it ended.
    disclosure_record(
        subject_id=order.customer.public_id,
        recipient="payment",
        categories=[c for c in gateway.categories_sent if c != "user.financial"],
        purpose="billing",
        reference=str(order.public_id),
    )
    # Network I/O outside any transaction (STYLE 7).
    start = gateway.start_checkout(
        order=order,
        # Back from paying, the customer lands on the order's eSIM (ORD-04).
        success_url=settings.SITE_URL + reverse("orders:esim", args=[order.public_id]),
        cancel_url=order_url,
        webhook_url=settings.SITE_URL + reverse("payments:webhook", args=[gateway.name]),
    )
    payment, _ = Payment.objects.get_or_create(
        processor=gateway.name,
        processor_ref=start.processor_ref,
        defaults={
            "order": order,
            "amount": order.total,
            "currency": order.currency,
            "checkout_url": start.redirect_url,
        },
    )
    return payment.checkout_url


def payment_latest_status(*, order: Order) -> str:
    """The status of the order's latest payment attempt; "" before any."""
    latest = order.payments.order_by("-created_at", "-pk").first()
    return latest.status if latest is not None else ""


def webhook_receive(*, processor: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify, deduplicate and apply one processor event. Returns what it did.

    Whatever the number, order or timing of deliveries, an order is marked
    paid once and its fulfilment requested once (ORD-03, exactly-once).
    """
    gateway = get_gateway(processor)
    event = gateway.parse_event(body=body, headers=headers)  # raises on a bad signature
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    processor=processor, event_id=event.event_id, event_type=event.event_type
                )
        except IntegrityError:
            return "duplicate"
        outcome = _apply(processor, event)
        WebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome)
    return outcome


def _find_payment(processor: str, event: GatewayEvent) -> Payment | None:
    """The event's payment, locked: the first lock of a webhook (core.locks)."""
    payments = Payment.objects.filter(processor=processor)
    if event.processor_ref:
        found = locks.lock(payments.filter(processor_ref=event.processor_ref))
        if found:
            return found[0]
    if event.payment_ref:
        found = locks.lock(payments.filter(payment_ref=event.payment_ref))
        return found[0] if found else None
    return None


def _apply(processor: str, event: GatewayEvent) -> str:
    if event.kind == "ignored":
        return "ignored"
    payment = _find_payment(processor, event)
    if payment is None:
        log.warning("%s event %s for an unknown payment", processor, event.event_id)
        if event.kind in ("refund_succeeded", "dispute_opened"):
            # Money moved, or may, on a payment we do not know: someone must look.
            subject = f"{processor} event for an unknown payment"
            message = (
                f"The processor sent {event.event_type} ({event.event_id}) for a payment "
                f"the shop does not know (session {event.processor_ref or '-'}, "
                f"payment {event.payment_ref or '-'}, refund {event.refund_ref or '-'}, "
                f"amount {event.refund_amount}). Check it at the processor."
            )
            enqueue_on_commit(notify_staff_task, subject, message)
        return "unknown_payment"
    if event.kind == "payment_succeeded":
        return _payment_succeeded(processor, payment, event)
    if event.kind == "payment_failed":
        updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, failure_code=event.failure_code[:40]
        )
        return "payment_failed" if updated else "stale"
    if event.kind == "refund_succeeded":
        return _refund_confirmed(payment, event)
    if event.kind == "dispute_opened":
        return _dispute_opened(processor, payment)
    return "ignored"  # payment_processing: nothing to do, the outcome follows


def _payment_succeeded(processor: str, payment: Payment, event: GatewayEvent) -> str:
    fields: dict[str, object] = {"status": Payment.Status.SUCCEEDED, "failure_code": ""}
    if event.payment_ref:
        fields["payment_ref"] = event.payment_ref
    if event.card:
        fields.update(
            card_brand=event.card.brand[:20],
            card_last4=event.card.last4 if event.card.last4.isdigit() else "",
            card_exp_month=event.card.exp_month,
            card_exp_year=event.card.exp_year,
        )
    first_success = payment.status != Payment.Status.SUCCEEDED
    Payment.objects.filter(pk=payment.pk).update(**fields)
    if not orders.order_mark_paid(order_id=payment.order_id, actor=f"webhook:{processor}"):
        paid_before = Payment.objects.filter(
            order_id=payment.order_id, status=Payment.Status.SUCCEEDED
        ).exclude(pk=payment.pk)
        if first_success and paid_before.exists():
            # Money arrived twice for one order: staff refund the second payment.
            message = (
                f"Order {payment.order.public_id} was paid twice; refund {payment.processor_ref}."
            )
            enqueue_on_commit(notify_staff_task, "Order paid twice", message)
            return "paid_twice"
        return "already_paid"
    order_id = payment.order_id
    # robust: a failing queue must not undo a payment already committed; the
    # fulfilment sweep picks up what was not enqueued.
    enqueue_on_commit(fulfil_order_task, order_id)
    enqueue_on_commit(send_order_paid_emails_task, order_id)
    return "paid"


def _dispute_opened(processor: str, payment: Payment) -> str:
    """Hold the records and tell staff, whatever state the order is in."""
    order = locks.lock_one(Order.objects.select_related("customer"), payment.order_id)
    # The hold is what retention and erasure obey (RET-07); the flag mirrors
    # it for the orders list and is cleared when the last hold is released.
    legal_hold_place(
        subject_id=order.customer.public_id,
        kind=LegalHold.Kind.DISPUTE,
        reason="The cardholder disputed the payment.",
        model="orders.Order",
        object_id=str(order.pk),
        reference=f"{processor}:{payment.processor_ref}"[:100],
    )
    Order.objects.filter(pk=order.pk).update(legal_hold=True)
    if states.can_move(order, OrderStatus.DISPUTED):
        orders.order_transition(
            order=order,
            to_status=OrderStatus.DISPUTED,
            actor=f"webhook:{processor}",
            note="the cardholder disputed the payment; records on legal hold",
        )
    order_id = order.pk
    enqueue_on_commit(notify_staff_of_dispute_task, order_id)
    return "disputed"


def _refund_confirmed(payment: Payment, event: GatewayEvent) -> str:
    if event.refund_currency and event.refund_currency != payment.currency:
        # Not money we can count against the order: keep the event, tell staff.
        _alert_refund_discrepancy(
            payment.order_id,
            f"The processor reports refund {event.refund_ref or '(no id)'} of "
            f"{event.refund_amount} {event.refund_currency}, but the payment was in "
            f"{payment.currency}. Nothing was recorded against the order; check it at "
            "the processor.",
        )
        return "refund_currency_mismatch"
    # The order before its refunds (core.locks): _settle_refund moves the order.
    locks.lock_one(Order.objects.all(), payment.order_id)
    locks.lock(Refund.objects.filter(order_id=payment.order_id))
    refunds = Refund.objects.filter(order_id=payment.order_id)
    refund = None
    if event.refund_reference:
        refund = refunds.filter(public_id=event.refund_reference).first()
    if refund is None and event.refund_ref:
        refund = refunds.filter(processor_ref=event.refund_ref).first()
    if refund is None:
        # Refunded at the processor directly (its dashboard): record it here too.
        amount = event.refund_amount or Decimal("0")
        if amount <= 0:
            return "unknown_refund"
        if amount >= MAX_REFUND_AMOUNT:
            _alert_refund_discrepancy(
                payment.order_id,
                f"The processor reports refund {event.refund_ref or '(no id)'} of {amount} "
                f"{payment.currency}, more than any order can hold. Nothing was recorded "
                "against the order; check it at the processor.",
            )
            return "refund_out_of_range"
        refund = Refund.objects.create(
            order_id=payment.order_id,
            amount=amount,
            currency=payment.currency,
            status=Refund.Status.PENDING,
            reason="refunded at the processor",
            requested_by="processor",
            processor_ref=event.refund_ref,
        )
    settled = _settle_refund(refund, event.refund_ref)
    if settled is None:
        return "already_refunded"
    return "refunded" if settled else "refunded_past_total"


def _alert_refund_discrepancy(order_id: int, message: str) -> None:
    """Staff hear of what the processor did that the order cannot hold, after commit."""
    order_ref = Order.objects.values_list("public_id", flat=True).get(pk=order_id)
    subject = f"Refund discrepancy on order {order_ref}"
    log.warning("%s: %s", subject, message)
    enqueue_on_commit(notify_staff_task, subject, message)


def _settle_refund(refund: Refund, processor_ref: str) -> bool | None:
    """Mark a refund succeeded once, and move the order's refunded amount and status.

    None: it was settled before. False: the processor refunded more than the
    order's total (a dashboard refund after ours, a duplicate at the processor);
    the refund is recorded as the processor reports it, the order counts at
    most its total (``order_refund_within_total``), and staff are told.
    """
    updated = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
        status=Refund.Status.SUCCEEDED, processor_ref=processor_ref or refund.processor_ref
    )
    if not updated:
        return None
    order = locks.lock_one(Order.objects.all(), refund.order_id)
    counted = min(refund.amount, order.total - order.refunded_amount)
    within_total = counted == refund.amount
    if not within_total:
        _alert_refund_discrepancy(
            order.pk,
            f"The processor refunded {refund.amount} {refund.currency} "
            f"(refund {processor_ref or refund.processor_ref or refund.public_id}), but only "
            f"{max(counted, Decimal('0'))} of the order's {order.total} {order.currency} was "
            f"left to refund: {refund.amount - max(counted, Decimal('0'))} {refund.currency} "
            "more than was paid went back. Check the refunds at the processor.",
        )
    if counted <= 0:
        return within_total
    Order.objects.filter(pk=order.pk).update(refunded_amount=F("refunded_amount") + counted)
    order.refresh_from_db()
    target = (
        OrderStatus.REFUNDED
        if order.refunded_amount >= order.total
        else OrderStatus.PARTIALLY_REFUNDED
    )
    if order.status != OrderStatus.DISPUTED and (
        order.status != target or target == OrderStatus.PARTIALLY_REFUNDED
    ):
        orders.order_transition(
            order=order,
            to_status=target,
            actor="refund",
            note=f"{refund.amount} {refund.currency} refunded",
        )
    if target == OrderStatus.REFUNDED:
        order_id = order.pk
        enqueue_on_commit(revoke_order_task, order_id)
    return within_total


def refund_issue(
    *, order: Order, amount: Decimal, reason: str, actor: str, refund: Refund | None = None
) -> Refund:
    """Refund all or part of a paid order through its processor (ORD-05)."""
    with transaction.atomic():
        locked = locks.lock_one(Order.objects.all(), order.pk)
        if not locked.can_be_refunded:
            raise RefundNotAllowed(
                gettext("An order that is %(lower)s cannot be refunded.")
                % {"lower": locked.get_status_display().lower()}
            )
        if refund is not None:
            # Granting a customer's request: only once, whoever clicks first.
            granted = Refund.objects.filter(
                pk=refund.pk, order=locked, status=Refund.Status.REQUESTED
            ).update(status=Refund.Status.PENDING, amount=amount)
            if granted != 1:
                raise RefundNotAllowed(gettext("This refund request was already handled."))
        pending = locked.refunds.filter(status=Refund.Status.PENDING)
        if refund is not None:
            pending = pending.exclude(pk=refund.pk)
        in_flight = sum(r.amount for r in pending)
        if amount <= 0 or amount > locked.refundable_amount - in_flight:
            left = Money(locked.refundable_amount - in_flight, locked.currency)
            raise RefundNotAllowed(
                gettext("At most %(refundable_amount_in_flight)s can be refunded.")
                % {"refundable_amount_in_flight": left}
            )
        if amount != amount.quantize(quantum(locked.currency)):
            # Refunds are in the currency paid, in its own unit (no half yen).
            raise RefundNotAllowed(
                gettext(
                    "%(currency)s has no amount like %(amount)s; refund %(rounded)s or another "
                    "whole amount."
                )
                % {
                    "currency": locked.currency,
                    "amount": amount,
                    "rounded": Money(amount, locked.currency),
                }
            )
        payment = locked.payments.filter(status=Payment.Status.SUCCEEDED).first()
        if payment is None:
            raise RefundNotAllowed(gettext("This order has no successful payment to refund."))
        if refund is None:
            refund = Refund.objects.create(
                order=locked,
                amount=amount,
                currency=locked.currency,
                status=Refund.Status.PENDING,
                reason=reason[:200],
                requested_by=actor,
            )
        else:
            refund.refresh_from_db()
        # The amount under our reference, and the processor's own payment reference.
        disclosure_record(
            subject_id=order.customer.public_id,
            recipient="payment",
            categories=("user.behavior.purchase_history", "user.financial"),
            purpose="billing",
            reference=str(order.public_id),
        )
    gateway = get_gateway(payment.processor)
    try:
        result = gateway.refund(payment=payment, amount=amount, reference=str(refund.public_id))
    except GatewayRefused:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED
        )
        raise
    # GatewayUnavailable: the processor may have acted; the refund stays pending
    # until its webhook (or reconciliation) says what happened.
    with transaction.atomic():
        locks.lock_one(Order.objects.all(), refund.order_id)
        locked_refund = locks.lock_one(Refund.objects.all(), refund.pk)
        if result.succeeded:
            _settle_refund(locked_refund, result.processor_ref)
        else:
            Refund.objects.filter(pk=refund.pk).update(processor_ref=result.processor_ref)
    refund.refresh_from_db()
    return refund


def payments_reconcile(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Ask the processor about checkouts still pending: a webhook may never
    have arrived. Applies what it learns through the same exactly-once path."""
    now = timezone.now()
    pending = Payment.objects.filter(
        status=Payment.Status.PENDING,
        created_at__lt=now - older_than,
        created_at__gt=now - timedelta(days=7),
    ).order_by("pk")
    settled = 0
    for payment in pending:
        try:
            event = get_gateway(payment.processor).fetch_outcome(payment=payment)
        except DomainError as exc:
            log.warning("could not reconcile payment %s: %s", payment.pk, exc.message)
            continue
        if event is None:
            continue
        with transaction.atomic():
            if _apply(payment.processor, event) in ("paid", "payment_failed"):
                settled += 1
    return settled


# Stripe keeps an idempotency key for 24 hours: a refund is asked again only
# well within that, so that asking again can never refund twice.
REFUND_RETRY_WINDOW = timedelta(hours=12)


def refunds_retry(*, older_than: timedelta | None = None) -> int:
    """Refunds still pending after a while: the request never reached the
    processor (down, garbled, the worker killed) or its answer and webhook were
    lost. Ask again with the same reference, which the processor treats as an
    idempotency key, so a refund already made is answered, not made twice
    (ADR 0017). Returns how many were settled."""
    now = timezone.now()
    if older_than is None:
        older_than = timedelta(seconds=settings.RECOVERY_AFTER_SECONDS)
    pending = Refund.objects.filter(
        status=Refund.Status.PENDING,
        created_at__lt=now - older_than,
        created_at__gt=now - REFUND_RETRY_WINDOW,
    ).order_by("pk")
    settled = 0
    for refund in pending:
        # The payment refund_issue chose, so that the reference means the same refund.
        payment = Payment.objects.filter(
            order_id=refund.order_id, status=Payment.Status.SUCCEEDED
        ).first()
        if payment is None:
            continue
        log.warning("recovery: refund %s asked again", refund.public_id)
        try:
            result = get_gateway(payment.processor).refund(
                payment=payment, amount=refund.amount, reference=str(refund.public_id)
            )
        except DomainError as exc:
            log.warning("refund %s still waiting for the processor: %s", refund.pk, exc.message)
            continue
        with transaction.atomic():
            locks.lock_one(Order.objects.all(), refund.order_id)
            locked = locks.lock_one(Refund.objects.all(), refund.pk)
            if result.succeeded and _settle_refund(locked, result.processor_ref) is not None:
                settled += 1
            elif not result.succeeded:
                Refund.objects.filter(pk=refund.pk).update(processor_ref=result.processor_ref)
    return settled

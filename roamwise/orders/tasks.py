"""Jobs after an order is paid. They take ids and are safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from roamwise.notifications import services as notifications

from . import services
from .errors import UnknownOrderKind
from .invoices import invoice_pdf
from .models import Fulfilment, Order

log = logging.getLogger(__name__)

# Per order kind, the function that delivers a paid order and the one that
# takes it back once the order is fully refunded: ``(order_id: int) -> str``,
# safe to call twice. Dotted paths, resolved when called, so that the step
# from a paid order to its eSIM can be read here; every kind of
# ``Order.Kind`` must have both, which the system check in ``checks.py``
# proves at start-up.
FULFILLERS: dict[str, str] = {
    # From the plan's sources: ES2+ or a wholesaler, with failover (ADR 0020).
    Order.Kind.ESIM: "roamwise.suppliers.fulfilment.esim_order_fulfil",
    Order.Kind.TOPUP: "roamwise.esims.services.topups.topup_fulfil",
}
REVOKERS: dict[str, str] = {
    Order.Kind.ESIM: "roamwise.suppliers.fulfilment.esim_order_revoke",
    Order.Kind.TOPUP: "roamwise.esims.services.lifecycle.esim_revoke",
}

OrderHandler = Callable[[int], object]


def handler_for(handlers: dict[str, str], kind: str) -> OrderHandler:
    """The function ``handlers`` names for ``kind``; ``UnknownOrderKind`` if none."""
    path = handlers.get(kind)
    if path is None:
        raise UnknownOrderKind(gettext("No handler for orders of kind %(kind)r.") % {"kind": kind})
    return cast(OrderHandler, import_string(path))


def _unknown_kind(order: Order, step: str, error: UnknownOrderKind) -> None:
    """An order nothing can deliver or take back: never skipped quietly."""
    log.error("order %s: %s: %s", order.pk, step, error.message)
    staff_alert(
        f"Order {order.public_id} cannot be {step}",
        f"{error.message}\nThe order stays as it is until a handler is declared for its kind "
        "in roamwise/orders/tasks.py.\n",
    )


@db_periodic_task(crontab(minute="*"))
def fulfilment_sweep() -> int:
    """Re-enqueue fulfilment of paid orders whose job was lost: never enqueued
    (queue down at commit), dropped (queue restarted) or killed with its worker.
    The fulfiller of each kind is safe to call again (ADR 0017)."""
    cutoff = timezone.now() - timedelta(seconds=settings.RECOVERY_AFTER_SECONDS)
    stale = Fulfilment.objects.filter(
        status=Fulfilment.Status.PENDING, requested_at__lt=cutoff
    ).values_list("order_id", flat=True)
    for order_id in stale:
        fulfil_order(order_id)
    if stale:
        log.warning("recovery: fulfilment of %d paid orders asked again", len(stale))
    return len(stale)


@db_periodic_task(crontab(minute="*/5"))
def checkouts_expire() -> int:
    """Abandoned checkouts do not stay "awaiting payment" for ever."""
    return services.orders_expire()


@task()
def fulfil_order(order_id: int) -> str:
    """Hand a paid order to the function that fulfils its kind (``FULFILLERS``).

    An order of a kind without one stays pending, and raises
    ``UnknownOrderKind`` after logging it and alerting staff.
    """
    fulfilment = Fulfilment.objects.select_related("order").filter(order_id=order_id).first()
    if fulfilment is None or fulfilment.status != Fulfilment.Status.PENDING:
        return "nothing to do"
    try:
        fulfil = handler_for(FULFILLERS, fulfilment.order.kind)
    except UnknownOrderKind as error:
        _unknown_kind(fulfilment.order, "fulfilled", error)
        raise
    return str(fulfil(order_id))


@task()
def revoke_order(order_id: int) -> str:
    """A fully refunded order: cancel what it delivered (an eSIM not yet downloaded)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "nothing to revoke"
    try:
        revoke = handler_for(REVOKERS, order.kind)
    except UnknownOrderKind as error:
        _unknown_kind(order, "revoked", error)
        raise
    return str(revoke(order_id))


@task(retries=3, retry_delay=60)
def send_order_paid_emails(order_id: int) -> None:
    """Order confirmation, and the receipt with its invoice attached (ORD-04)."""
    order = Order.objects.select_related("customer", "plan", "invoice").get(pk=order_id)
    invoice = order.invoice
    link = settings.SITE_URL + reverse("orders:detail", args=[order.public_id])
    # The order's eSIM: its install details once ready, its progress until then.
    esim_link = settings.SITE_URL + reverse("orders:esim", args=[order.public_id])
    context = {"order": order, "invoice": invoice, "link": link, "esim_link": esim_link}
    notifications.notify(
        user=order.customer, kind="order", template="orders/email/confirmation", context=context
    )
    _send_receipt(order, context)


@task(retries=3, retry_delay=60)
def resend_order_receipt(order_id: int) -> None:
    """The receipt again, with its invoice, when staff resend it from the back office."""
    order = Order.objects.select_related("customer", "plan", "invoice").get(pk=order_id)
    link = settings.SITE_URL + reverse("orders:detail", args=[order.public_id])
    _send_receipt(order, {"order": order, "invoice": order.invoice, "link": link})


def _send_receipt(order: Order, context: dict) -> None:
    invoice = order.invoice
    # The invoice is in the customer's language, like the email it comes with.
    with translation.override(order.customer.language or settings.LANGUAGE_CODE):
        pdf = invoice_pdf(invoice)
    notifications.notify(
        user=order.customer,
        kind="order",
        template="orders/email/receipt",
        context=context,
        attachments=[notifications.Attachment(f"{invoice.number}.pdf", pdf, "application/pdf")],
    )


def staff_alert(title: str, message: str) -> None:
    notifications.notify_address(
        to=settings.STAFF_ALERT_EMAIL,
        kind="staff_alert",
        template="notifications/email/staff_alert",
        context={"title": title, "message": message},
    )


@task()
def notify_staff(subject: str, message: str) -> None:
    staff_alert(subject, message)


@task()
def notify_staff_of_dispute(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    staff_alert(
        f"Dispute opened on order {order.public_id}",
        f"A cardholder disputed order {order.public_id} ({order.total} {order.currency}).\n"
        "Its records are on legal hold. Answer the dispute at the payment processor.\n",
    )

"""Jobs after an order is paid. They take ids and are safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from roamwise.notifications import services as notifications

from .invoices import invoice_pdf
from .models import Fulfilment, Order

log = logging.getLogger(__name__)

# The eSIM service registers, per order kind, the function that delivers a
# paid order and the one that takes it back once the order is fully refunded.
FULFILLERS: dict[str, Callable[[int], object]] = {}
REVOKERS: dict[str, Callable[[int], object]] = {}


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


@task()
def fulfil_order(order_id: int) -> str:
    """Hand a paid order to the service that fulfils its kind (eSIM provisioning).

    Until that service registers itself the request stays pending, recorded.
    """
    fulfilment = Fulfilment.objects.select_related("order").filter(order_id=order_id).first()
    if fulfilment is None or fulfilment.status != Fulfilment.Status.PENDING:
        return "nothing to do"
    fulfil = FULFILLERS.get(fulfilment.order.kind)
    if fulfil is None:
        log.info("order %s is paid; no fulfiller for %s yet", order_id, fulfilment.order.kind)
        return "waiting for a fulfiller"
    return str(fulfil(order_id))


@task()
def revoke_order(order_id: int) -> str:
    """A fully refunded order: cancel what it delivered (an eSIM not yet downloaded)."""
    order = Order.objects.filter(pk=order_id).first()
    revoke = REVOKERS.get(order.kind) if order else None
    if order is None or revoke is None:
        return "nothing to revoke"
    return str(revoke(order_id))


@task(retries=3, retry_delay=60)
def send_order_paid_emails(order_id: int) -> None:
    """Order confirmation, and the receipt with its invoice attached (ORD-04)."""
    order = Order.objects.select_related("customer", "plan", "invoice").get(pk=order_id)
    invoice = order.invoice
    link = settings.SITE_URL + reverse("orders:detail", args=[order.public_id])
    context = {"order": order, "invoice": invoice, "link": link}
    notifications.notify(
        user=order.customer, kind="order", template="orders/email/confirmation", context=context
    )
    notifications.notify(
        user=order.customer,
        kind="order",
        template="orders/email/receipt",
        context=context,
        attachments=[
            notifications.Attachment(
                f"{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf"
            )
        ],
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

"""eSIM jobs. They take ids, are safe to run twice, and call one service each."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roamwise.notifications import services as notifications
from roamwise.orders.tasks import staff_alert

from .install import install_links, qr_png
from .models import Bundle, Esim, EsimState
from .partner import PartnerError

log = logging.getLogger(__name__)

BUNDLE_MAX_ATTEMPTS = 8


@db_task()
def provision_esim(order_id: int) -> str:
    from .services import provisioning

    return provisioning.esim_provision(order_id=order_id)


@db_periodic_task(crontab(minute="*"))
def provisioning_sweep() -> int:
    """Provisioning whose next try is due but whose job was lost (queue restarted,
    worker killed): run it again. The lease keeps two runs apart. Then failed
    orders whose refund job was lost: refund them (ADR 0017)."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.RECOVERY_AFTER_SECONDS)
    due = list(
        Esim.objects.filter(state=EsimState.PREPARING, next_attempt_at__lte=overdue)
        .exclude(lease_until__gte=now)
        .values_list("order_id", flat=True)
    )
    for order_id in due:
        provision_esim(order_id)
    from . import selectors

    unrefunded = list(selectors.esims_failed_without_refund())
    for esim_id in unrefunded:
        after_provisioning_failed(esim_id)
    if due or unrefunded:
        log.warning(
            "recovery: provisioning of %d orders run again, %d failed orders refunded",
            len(due),
            len(unrefunded),
        )
    return len(due) + len(unrefunded)


@db_task()
def after_provisioning_failed(esim_id: int) -> None:
    from .services import provisioning

    if provisioning.esim_after_failure(esim_id=esim_id):
        send_provisioning_failed_email(esim_id)


@db_task()
def bundle_register(bundle_id: int) -> str:
    """Add a paid bundle at the network; retried with backoff while it is down."""
    from .services import topups

    try:
        return topups.bundle_register_now(bundle_id=bundle_id)
    except PartnerError as exc:
        bundle = Bundle.objects.get(pk=bundle_id)
        if exc.retryable and bundle.network_attempts < BUNDLE_MAX_ATTEMPTS:
            bundle_register.schedule((bundle_id,), delay=min(30 * 2**bundle.network_attempts, 3600))
            return f"retry later: {exc.message}"
        staff_alert(
            "A bundle could not be added at the network",
            f"Bundle {bundle.public_id} of order {bundle.order_id}: {exc.message}\n"
            "Add it by hand or refund the order.",
        )
        return f"gave up: {exc.message}"


@db_periodic_task(crontab(minute="*"))
def partner_calls_sweep() -> int:
    """Changes asked of the network whose answer was lost (or whose worker
    died): repeat each with its idempotency key until the network answers, and
    apply what it did (ADR 0006)."""

    from .services import lifecycle

    settled = lifecycle.partner_calls_settle()
    if settled:
        log.warning("recovery: %d changes at the network settled", settled)
    return settled


@db_task(retries=3, retry_delay=60)
def send_esim_ready_email(esim_id: int) -> None:
    """The order email with everything needed to install: code, QR, links (SIM-01)."""
    esim = Esim.objects.select_related("customer", "order__plan").get(pk=esim_id)
    link = settings.SITE_URL + reverse("esims:detail", args=[esim.public_id])
    context = {
        "esim": esim,
        "plan": esim.order.plan,
        "link": link,
        "links": install_links(esim),
    }
    notifications.notify(
        user=esim.customer,
        kind="esim",
        template="esims/email/ready",
        context=context,
        attachments=[notifications.Attachment("esim-qr.png", qr_png(esim), "image/png")],
    )


def send_provisioning_failed_email(esim_id: int) -> None:
    esim = Esim.objects.select_related("customer", "order__plan").get(pk=esim_id)
    context = {
        "esim": esim,
        "order": esim.order,
        "link": settings.SITE_URL + reverse("orders:detail", args=[esim.order.public_id]),
    }
    notifications.notify(
        user=esim.customer, kind="order", template="esims/email/failed", context=context
    )


@db_periodic_task(crontab(minute="17"))
def expiry_sweep() -> int:
    """eSIMs whose every bundle has ended are expired."""
    from .services import lifecycle

    return lifecycle.esims_expire()


@db_periodic_task(crontab(minute="23"))
def profile_stock_check() -> list[str]:
    """Hourly: staff are told of a profile type running low (esims/stock.py)."""
    from .stock import stock_check

    return stock_check()

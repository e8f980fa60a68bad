"""eSIM jobs. They take ids, are safe to run twice, and call one service each."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roamwise.orders.tasks import FULFILLERS, REVOKERS

from . import services
from .install import install_links, qr_png
from .models import Bundle, Esim, EsimState
from .partner import PartnerError

log = logging.getLogger(__name__)

BUNDLE_MAX_ATTEMPTS = 8


@db_task()
def provision_esim(order_id: int) -> str:
    return services.esim_provision(order_id=order_id)


@db_periodic_task(crontab(minute="*/5"))
def provisioning_sweep() -> int:
    """Provisioning whose next try is due but whose job was lost (queue restarted,
    worker killed): run it again. The lease keeps two runs apart."""
    now = timezone.now()
    due = list(
        Esim.objects.filter(state=EsimState.PREPARING, next_attempt_at__lte=now)
        .exclude(lease_until__gte=now)
        .values_list("order_id", flat=True)
    )
    for order_id in due:
        provision_esim(order_id)
    return len(due)


@db_task()
def after_provisioning_failed(esim_id: int) -> None:
    services.esim_after_failure(esim_id=esim_id)
    send_provisioning_failed_email(esim_id)


@db_task()
def bundle_register(bundle_id: int) -> str:
    """Add a paid bundle at the network; retried with backoff while it is down."""
    try:
        return services.bundle_register_now(bundle_id=bundle_id)
    except PartnerError as exc:
        bundle = Bundle.objects.get(pk=bundle_id)
        if exc.retryable and bundle.network_attempts < BUNDLE_MAX_ATTEMPTS:
            bundle_register.schedule((bundle_id,), delay=min(30 * 2**bundle.network_attempts, 3600))
            return f"retry later: {exc.message}"
        send_mail(
            f"[{settings.SITE_NAME}] A bundle could not be added at the network",
            f"Bundle {bundle.public_id} of order {bundle.order_id}: {exc.message}\n"
            "Add it by hand or refund the order.",
            settings.DEFAULT_FROM_EMAIL,
            [settings.STAFF_ALERT_EMAIL],
        )
        return f"gave up: {exc.message}"


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
        "site_name": settings.SITE_NAME,
    }
    message = EmailMultiAlternatives(
        f"[{settings.SITE_NAME}] Your eSIM is ready to install",
        render_to_string("esims/email/ready.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [esim.customer.email],
    )
    message.attach_alternative(render_to_string("esims/email/ready.html", context), "text/html")
    message.attach("esim-qr.png", qr_png(esim), "image/png")
    message.send()


def send_provisioning_failed_email(esim_id: int) -> None:
    esim = Esim.objects.select_related("customer", "order__plan").get(pk=esim_id)
    context = {
        "esim": esim,
        "order": esim.order,
        "link": settings.SITE_URL + reverse("orders:detail", args=[esim.order.public_id]),
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        f"[{settings.SITE_NAME}] We could not prepare your eSIM: full refund",
        render_to_string("esims/email/failed.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [esim.customer.email],
    )


@db_periodic_task(crontab(minute="17"))
def expiry_sweep() -> int:
    """eSIMs whose every bundle has ended are expired."""
    return services.esims_expire()


FULFILLERS["esim"] = lambda order_id: services.esim_provision(order_id=order_id)
FULFILLERS["topup"] = services.topup_fulfil
REVOKERS["esim"] = services.esim_revoke
REVOKERS["topup"] = services.esim_revoke

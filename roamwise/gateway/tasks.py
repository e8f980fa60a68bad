from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from roamwise.core.delivery import deliver_with_retries, deliveries_overdue
from roamwise.core.faults import fault_now
from roamwise.core.http import TransportError, send
from roamwise.core.signing import signature_header

from .models import WebhookDelivery

log = logging.getLogger(__name__)

# Like real processors, keep trying for about a day (then reconciliation takes over).
MAX_ATTEMPTS = 30


def _post(delivery: WebhookDelivery) -> None:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET),
    }
    fault = fault_now("gateway")  # ADR 0017: a processor having a bad day
    if fault is not None and fault.mode == "unavailable":
        raise TransportError("the processor's webhook sender is down", permanent=False)
    if fault is not None and fault.mode == "slow":
        time.sleep(fault.delay)
    if fault is not None and fault.mode == "garbage":
        body = body[: len(body) // 2]  # cut short in transit, signature and all
    send("POST", delivery.session.webhook_url, data=body, headers=headers, timeout=10)


@task()
def deliver_webhook(delivery_id: int) -> None:
    """POST one event to the merchant; on failure try again later, with backoff."""
    deliver_with_retries(
        WebhookDelivery,
        delivery_id,
        post=_post,
        retry_later=lambda delay: deliver_webhook.schedule((delivery_id,), delay=delay),
        max_attempts=MAX_ATTEMPTS,
        max_delay=3600,
        select_related=("session",),
    )


@db_periodic_task(crontab(minute="*"))
def webhooks_redeliver() -> int:
    """A processor's retries outlive its workers: deliveries whose job was lost
    (queue restarted, worker killed) are sent again. The shop deduplicates."""
    overdue = deliveries_overdue(WebhookDelivery)
    for delivery_id in overdue:
        deliver_webhook(delivery_id)
    if overdue:
        log.warning("recovery: %d webhook deliveries sent again", len(overdue))
    return len(overdue)

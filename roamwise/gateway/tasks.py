from __future__ import annotations

import json

from django.conf import settings
from huey.contrib.djhuey import task

from roamwise.core.delivery import deliver_with_retries
from roamwise.core.http import send
from roamwise.core.signing import signature_header

from .models import WebhookDelivery

# Like real processors, keep trying for about a day (then reconciliation takes over).
MAX_ATTEMPTS = 30


def _post(delivery: WebhookDelivery) -> None:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET),
    }
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

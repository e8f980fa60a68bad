from __future__ import annotations

import json

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import task

from roamwise.core.http import TransportError, send

from .models import WebhookDelivery
from .signing import signature_header

# Like real processors, keep trying for about a day (then reconciliation takes over).
MAX_ATTEMPTS = 30


@task()
def deliver_webhook(delivery_id: int) -> None:
    """POST one event to the merchant; on failure try again later, with backoff."""
    delivery = (
        WebhookDelivery.objects.select_related("session")
        .filter(pk=delivery_id, delivered_at__isnull=True, gave_up_at__isnull=True)
        .first()
    )
    if delivery is None:
        return
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET),
    }
    attempt = delivery.attempts + 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    try:
        send("POST", delivery.session.webhook_url, data=body, headers=headers, timeout=10)
    except TransportError as exc:
        if attempt >= MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                gave_up_at=timezone.now(), last_error=str(exc)[:300]
            )
            return
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=str(exc)[:300])
        deliver_webhook.schedule((delivery.pk,), delay=min(2**attempt, 3600))
        return
    WebhookDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now())

from __future__ import annotations

import json

from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import task

from roamwise.core.http import TransportError, send

from .models import ProgressNotification

MAX_ATTEMPTS = 8


@task()
def deliver_notification(notification_id: int) -> None:
    """POST HandleDownloadProgressInfo to the operator; retry with backoff until 204."""
    notification = ProgressNotification.objects.filter(
        pk=notification_id, delivered_at__isnull=True, gave_up_at__isnull=True
    ).first()
    if notification is None:
        return
    attempt = notification.attempts + 1
    ProgressNotification.objects.filter(pk=notification.pk).update(attempts=F("attempts") + 1)
    try:
        response = send(
            "POST",
            notification.url,
            data=json.dumps(notification.payload).encode(),
            headers={"Content-Type": "application/json", "X-Admin-Protocol": "gsma/rsp/v2.2.0"},
        )
        if response.status_code != 204:  # SGP.22 §6.3: a notification answers 204
            raise TransportError(f"answered {response.status_code}, not 204", permanent=False)
    except TransportError as exc:
        if attempt >= MAX_ATTEMPTS:
            ProgressNotification.objects.filter(pk=notification.pk).update(
                gave_up_at=timezone.now(), last_error=str(exc)[:300]
            )
            return
        ProgressNotification.objects.filter(pk=notification.pk).update(last_error=str(exc)[:300])
        deliver_notification.schedule((notification.pk,), delay=min(2**attempt, 600))
        return
    ProgressNotification.objects.filter(pk=notification.pk).update(delivered_at=timezone.now())

from __future__ import annotations

import json
import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from roamwise.core.delivery import deliver_with_retries, deliveries_overdue
from roamwise.core.http import TransportError, send
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, signature_header

from .models import ProgressNotification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def _post(notification: ProgressNotification) -> None:
    body = json.dumps(notification.payload).encode()
    response = send(
        "POST",
        notification.url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Admin-Protocol": "gsma/rsp/v2.2.0",
            # Where no mutual TLS stands in front of the operator, it checks this.
            ES2_NOTIFICATION_HEADER: signature_header(body, settings.ES2PLUS_NOTIFICATION_SECRET),
        },
    )
    if response.status_code != 204:  # SGP.22 §6.3: a notification answers 204
        raise TransportError(f"answered {response.status_code}, not 204", permanent=False)


@task()
def deliver_notification(notification_id: int) -> None:
    """POST HandleDownloadProgressInfo to the operator; retry with backoff until 204."""
    deliver_with_retries(
        ProgressNotification,
        notification_id,
        post=_post,
        retry_later=lambda delay: deliver_notification.schedule((notification_id,), delay=delay),
        max_attempts=MAX_ATTEMPTS,
        max_delay=600,
    )


@db_periodic_task(crontab(minute="*"))
def notifications_redeliver() -> int:
    """Notifications whose delivery job was lost (queue restarted, worker killed)
    are sent again; the operator applies each once per functionCallIdentifier."""
    overdue = deliveries_overdue(ProgressNotification)
    for notification_id in overdue:
        deliver_notification(notification_id)
    if overdue:
        log.warning("recovery: %d ES2+ notifications sent again", len(overdue))
    return len(overdue)

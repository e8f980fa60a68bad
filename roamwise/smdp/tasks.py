from __future__ import annotations

import json

from django.conf import settings
from huey.contrib.djhuey import task

from roamwise.core.delivery import deliver_with_retries
from roamwise.core.http import TransportError, send
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, signature_header

from .models import ProgressNotification

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

"""Outbound notifications with persisted retry state (STYLE 8).

A delivery row has ``attempts``, ``next_attempt_at``, ``delivered_at``,
``gave_up_at`` and ``last_error``; each try is one job, and a failed try
schedules the next with exponential backoff until ``max_attempts``. The row
says when the next try is due, so a sweep can send again what a lost job
(queue restarted, worker killed) would have sent (ADR 0017).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from .http import TransportError


def deliver_with_retries(
    model: type[models.Model],
    pk: int,
    *,
    post: Callable[[Any], None],
    retry_later: Callable[[int], None],
    max_attempts: int,
    max_delay: int,
    select_related: Sequence[str] = (),
) -> None:
    """Try one delivery; ``post`` raises ``TransportError`` when it fails."""
    rows = model._default_manager.filter(pk=pk)
    item = (
        rows.select_related(*select_related)
        .filter(delivered_at__isnull=True, gave_up_at__isnull=True)
        .first()
    )
    if item is None:
        return
    attempt = item.attempts + 1  # type: ignore[attr-defined]
    rows.update(attempts=F("attempts") + 1)
    try:
        post(item)
    except TransportError as exc:
        if attempt >= max_attempts:
            rows.update(gave_up_at=timezone.now(), last_error=str(exc)[:300])
            return
        delay = min(2**attempt, max_delay)
        rows.update(
            last_error=str(exc)[:300], next_attempt_at=timezone.now() + timedelta(seconds=delay)
        )
        retry_later(delay)
        return
    rows.update(delivered_at=timezone.now())


def deliveries_overdue(model: type[models.Model]) -> list[int]:
    """Deliveries whose next try is long overdue: their job was lost."""
    cutoff = timezone.now() - timedelta(seconds=settings.RECOVERY_AFTER_SECONDS)
    return list(
        model._default_manager.filter(
            delivered_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lt=cutoff
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )

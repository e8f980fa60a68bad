"""Outbound notifications with persisted retry state (STYLE 8).

A delivery row has ``attempts``, ``delivered_at``, ``gave_up_at`` and
``last_error``; each try is one job, and a failed try schedules the next with
exponential backoff until ``max_attempts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
        rows.update(last_error=str(exc)[:300])
        retry_later(min(2**attempt, max_delay))
        return
    rows.update(delivered_at=timezone.now())

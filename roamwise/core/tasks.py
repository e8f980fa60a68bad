"""Background jobs: the queue entry point every app uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from huey.contrib.djhuey import task


def enqueue_on_commit(task_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task_fn`` once the current transaction commits.

    Tasks take ids, never model instances, and must be idempotent: a consumer
    may run one twice after a crash.
    """
    transaction.on_commit(lambda: task_fn(*args, **kwargs))


@task()
def heartbeat(token: str) -> str:
    """Round-trip check of the queue: the consumer stores the token in the cache."""
    cache.set(f"heartbeat:{token}", "ok", timeout=300)
    return token

"""Background jobs: the queue entry point every app uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    """Round-trip check of the queue and its consumer; the answer comes back
    through the queue's result store."""
    return f"pong:{token}"

"""Background jobs: the queue entry point every app uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import task


def enqueue_on_commit(task_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task_fn`` once the current transaction commits: the one way
    a service starts a job (ADR 0021), never ``transaction.on_commit`` by hand.

    Tasks take ids, never model instances, and must be idempotent: a consumer
    may run one twice after a crash. ``robust``: a queue that cannot take the
    job is logged rather than raised into a request whose changes are already
    committed; the app's periodic sweep picks the work up.
    """
    transaction.on_commit(lambda: task_fn(*args, **kwargs), robust=True)


@task()
def heartbeat(token: str) -> str:
    """Round-trip check of the queue and its consumer; the answer comes back
    through the queue's result store."""
    return f"pong:{token}"

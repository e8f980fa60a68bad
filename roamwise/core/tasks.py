"""Background jobs: the queue entry point every app uses."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import Token
from typing import Any

from django.db import transaction
from huey import signals as S
from huey.contrib.djhuey import task

from . import logcontext, metrics


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


# What the job signals report: every way a job can end.
FINISHED = (
    S.SIGNAL_COMPLETE,
    S.SIGNAL_ERROR,
    S.SIGNAL_RETRYING,
    S.SIGNAL_EXPIRED,
    S.SIGNAL_CANCELED,
    S.SIGNAL_REVOKED,
    S.SIGNAL_INTERRUPTED,
    S.SIGNAL_TIMEOUT,
)
_running: dict[str, Token[str]] = {}


def observe_jobs() -> None:
    """Count each job's outcome (``roamwise_jobs_total``) and carry the id of
    the request that enqueued it into its log lines (core/logcontext.py)."""
    from huey.contrib.djhuey import HUEY

    @HUEY.signal(S.SIGNAL_ENQUEUED)
    def enqueued(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        logcontext.job_enqueued(task.id)

    @HUEY.signal(S.SIGNAL_EXECUTING)
    def executing(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        _running[task.id] = logcontext.job_started(task.id)

    @HUEY.signal(*FINISHED)
    def finished(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        metrics.JOBS.labels(task=task.name, outcome=signal).inc()
        token = _running.pop(task.id, None)
        if token is not None:
            logcontext.current_request_id.reset(token)

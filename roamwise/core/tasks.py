"""Background jobs: the queue entry point every app uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextvars import Token
from typing import Any

from django.core.cache import cache
from django.db import transaction
from huey import signals as S
from huey.contrib.djhuey import task
from huey.exceptions import CancelExecution

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


# The marker a scheduled run of a periodic job carries: the minute it was due.
SCHEDULED_FOR = "_roamwise_scheduled_for"
ONCE_KEY = "periodic-ran:{}:{}"


def run_periodic_jobs_once() -> None:
    """Each periodic job runs once per period, however many consumers schedule it.

    Every consumer started with its scheduler (``serve --role scheduler``, or
    ``all``) enqueues the periodic jobs due each minute. The runs it enqueues
    are marked with that minute; before one runs, the first consumer to claim
    (job, minute) in the shared cache (Redis beside several machines) runs it
    and any other cancels its copy. A periodic job called directly (a test, a
    command) carries no mark and always runs."""
    from huey.contrib.djhuey import HUEY

    read_periodic = HUEY.read_periodic

    def marked(timestamp: Any = None) -> list[Any]:
        due = read_periodic(timestamp)
        minute = (timestamp or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M")
        for scheduled in due:
            scheduled.kwargs = {**(scheduled.kwargs or {}), SCHEDULED_FOR: minute}
        return due

    HUEY.read_periodic = marked

    @HUEY.pre_execute(name="roamwise-periodic-once")
    def claim(task: Any) -> None:
        minute = (task.kwargs or {}).pop(SCHEDULED_FOR, None)
        if minute is None:
            return
        if not cache.add(ONCE_KEY.format(task.name, minute), "1", 24 * 3600):
            raise CancelExecution(f"{task.name} already ran for {minute}")

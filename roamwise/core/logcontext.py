"""The request id on every log line, and carried into the jobs a request starts.

``RequestIdMiddleware`` (audit) sets ``current_request_id`` for the request;
``RequestIdFilter`` puts it on each log record (``%(request_id)s``, and a
field of the JSON logs). When a request enqueues a job, the job's id is
remembered beside the request's in the shared cache for a day; the consumer
sets it again while the job runs, so a job's lines carry the request that
started it ("job:<id>" for one no request started, such as a sweep).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token

from django.core.cache import cache

current_request_id: ContextVar[str] = ContextVar("request_id", default="")
JOB_KEY = "job-request:{}"
JOB_MEMORY_SECONDS = 24 * 3600


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def job_enqueued(task_id: str) -> None:
    """Remember which request started the job ``task_id``."""
    request_id = current_request_id.get()
    if request_id and not request_id.startswith("job:"):
        cache.set(JOB_KEY.format(task_id), request_id, JOB_MEMORY_SECONDS)


def job_started(task_id: str) -> Token[str]:
    """Set the request id while job ``task_id`` runs; reset with the token returned."""
    request_id = cache.get(JOB_KEY.format(task_id)) or f"job:{task_id}"
    return current_request_id.set(str(request_id))

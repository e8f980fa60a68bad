"""Metrics an operator can use, in Prometheus's format (``/metrics``).

Counters and histograms are recorded where things happen: the request
middleware times each request by its route (the URL pattern, never the path:
no id or token in a label), the job signals count each job's outcome, and the
apps count wholesalers' errors, webhooks refused, and privacy exports and
erasures with their durations. What the database already records (orders
paid, time from payment to QR code, ES2+ errors, the queue's depth, privacy
requests near their deadline) is read when scraped, from functions the apps
register here (``gauge``).

Several processes (gunicorn's workers, the job consumer) each record their
own: ``manage.py serve`` points them at one directory
(``PROMETHEUS_MULTIPROC_DIR``) and the scrape adds them up. No label holds
personal data or a secret: labels are routes, task names, codes and kinds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUEST_SECONDS = Histogram(
    "roamwise_http_request_duration_seconds",
    "Time to answer a request, by route (the URL pattern), method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS = Counter(
    "roamwise_jobs_total",
    "Background jobs run, by task and outcome (complete, error, retrying, expired).",
    ["task", "outcome"],
)
SUPPLY_ERRORS = Counter(
    "roamwise_supply_errors_total",
    "Errors answered by an eSIM wholesaler's API, by wholesaler and HTTP status.",
    ["source", "code"],
)
WEBHOOK_REJECTIONS = Counter(
    "roamwise_webhook_rejections_total",
    "Webhooks refused, by sender and reason.",
    ["source", "reason"],
)
PRIVACY_SECONDS = Histogram(
    "roamwise_privacy_run_seconds",
    "Duration of a data export or an erasure.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)

# A gauge read at scrape time: a function returning (label values, value) pairs.
Reading = Iterable[tuple[tuple[str, ...], float]]
Reader = Callable[[], Reading]
_GAUGES: list[tuple[str, str, tuple[str, ...], Reader]] = []


def gauge(
    name: str, documentation: str, labels: tuple[str, ...] = ()
) -> Callable[[Reader], Reader]:
    """Register the decorated function as a gauge read at each scrape."""

    def register(function: Reader) -> Reader:
        if any(existing[0] == name for existing in _GAUGES):
            raise ValueError(f"gauge {name} is registered twice")
        _GAUGES.append((name, documentation, labels, function))
        return function

    return register


class ReadAtScrape(Collector):
    """The registered gauges, computed when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        for name, documentation, labels, function in _GAUGES:
            family = GaugeMetricFamily(name, documentation, labels=list(labels))
            for label_values, value in function():
                family.add_metric(list(label_values), value)
            yield family


def exposition() -> bytes:
    """Every metric of every process, in the text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(ReadAtScrape())
    return generate_latest(registry) + generate_latest(scraped)


@gauge(
    "roamwise_jobs_queued",
    "Jobs waiting in the queue: due now, and scheduled for later.",
    ("when",),
)
def jobs_queued() -> Reading:
    from huey.contrib.djhuey import HUEY

    return [(("due",), HUEY.pending_count()), (("scheduled",), HUEY.scheduled_count())]

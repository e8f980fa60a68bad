"""What an operator reads: /metrics behind a token, readiness and liveness, JSON
log lines with the request id, carried into the jobs a request starts."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from huey import signals as S
from huey.contrib.djhuey import HUEY
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from roamwise.core import logcontext
from roamwise.core.tasks import heartbeat

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scraper(settings: Any) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def test_metrics_need_the_token_and_do_not_exist_without_one(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404

    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.commitment("SEC-07")
def test_requests_are_timed_by_route_never_by_path(
    client: Client, scraper: Client, catalog: None
) -> None:
    client.get("/destinations/fr/")
    client.get("/rights/download/some-secret-token-value/")

    page = scraper.get("/metrics").content.decode()

    assert 'route="destinations/<slug:slug>/"' in page
    assert "destinations/fr" not in page
    assert "some-secret-token-value" not in page


def test_the_business_and_the_queue_are_read_at_scrape(scraper: Client, db: None) -> None:
    page = scraper.get("/metrics").content.decode()

    families = [line.split()[2] for line in page.splitlines() if line.startswith("# TYPE ")]
    assert len(families) == len(set(families))  # a name is one family, once
    for name in (
        'roamwise_jobs_queued{when="due"}',
        'roamwise_orders_paid{kind="esim"}',
        'roamwise_rights_requests_open{due="overdue"}',
        'roamwise_paid_to_qr_seconds{quantile="count"}',
    ):
        assert name in page, name


def test_each_job_outcome_is_counted(jobs: Any) -> None:
    labels = {"task": heartbeat.s("ping").name, "outcome": S.SIGNAL_COMPLETE}
    before = REGISTRY.get_sample_value("roamwise_jobs_total", labels) or 0

    heartbeat("ping")
    jobs()

    assert REGISTRY.get_sample_value("roamwise_jobs_total", labels) == before + 1


def test_a_job_carries_the_id_of_the_request_that_started_it(jobs: Any) -> None:
    seen: list[str] = []

    def executing(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(logcontext.current_request_id.get())

    HUEY.signal(S.SIGNAL_EXECUTING)(executing)
    try:
        token = logcontext.current_request_id.set("req-4f2a")
        try:
            heartbeat("from a request")
        finally:
            logcontext.current_request_id.reset(token)
        heartbeat("from a sweep")
        jobs()
    finally:
        HUEY.disconnect_signal(executing)

    assert seen[0] == "req-4f2a"
    assert seen[1].startswith("job:")
    assert logcontext.current_request_id.get() == ""  # reset after each job


def test_every_response_names_its_request_and_a_proxys_id_is_kept(client: Client) -> None:
    assert len(client.get("/livez")["X-Request-Id"]) == 32
    assert client.get("/livez", HTTP_X_REQUEST_ID="lb-123")["X-Request-Id"] == "lb-123"


def test_json_log_lines_carry_the_request_id(settings: Any) -> None:
    options = dict(settings.LOGGING["formatters"]["json"])
    options.pop("()")
    formatter = JsonFormatter(**options)
    record = logging.LogRecord("roamwise.test", logging.INFO, __file__, 1, "paid %s", ("x",), None)
    token = logcontext.current_request_id.set("req-77")
    try:
        logcontext.RequestIdFilter().filter(record)
    finally:
        logcontext.current_request_id.reset(token)

    line = json.loads(formatter.format(record))

    assert line["request_id"] == "req-77"
    assert line["message"] == "paid x"
    assert {"time", "level", "logger"} <= set(line)


def test_ready_when_databases_cache_and_queue_answer(client: Client, db: None) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": True,
        "key_store": True,
        "cache": True,
        "queue": True,
    }
    assert client.get("/livez").status_code == 200


def test_not_ready_when_the_shared_cache_does_not_answer(
    client: Client, db: None, settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] is False
    assert response.json()["status"] == "unavailable"

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from roamwise.core.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@pytest.mark.django_db
def test_health_endpoint(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_jobs_go_through_the_configured_queue_to_a_real_consumer() -> None:
    """A task enqueued here is run by a separate `run_huey` process and its
    result read back: SQLite storage by default, Redis when REDIS_URL is set."""
    from huey.contrib.djhuey import HUEY

    expected_class = "RedisHuey" if settings.REDIS_URL else "SqliteHuey"
    assert type(HUEY).__name__ == expected_class
    token = uuid.uuid4().hex
    result = heartbeat(token)
    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert result.get(blocking=True, timeout=60) == f"pong:{token}"
    finally:
        consumer.terminate()
        consumer.wait(timeout=20)

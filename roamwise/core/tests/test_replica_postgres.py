"""A real streaming replica on loopback (ADR 0038): public catalogue reads go
to it, writes to the primary, and a customer reads their own writes at once.

A primary and a hot standby are made from the machine's PostgreSQL binaries
(pgpair.py); the site runs in a process of its own against the two
(replica_child.py). Replay on the standby is paused before the second plan
and the customer's order are written, so the replica is known to lack them:
a visitor who cannot see the new plan was served by the replica, a customer
who sees their order was served by the primary.

Run by the suite's PostgreSQL run only. Skipped where the PostgreSQL server
binaries are missing, unless ``ROAMWISE_REQUIRE_REPLICA=1`` (CI) makes that
a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from psycopg import sql

from roamwise.testing.fixtures.databases import scratch_environment

from .pgpair import Pair, pair_start, postgres_bin

pytestmark = pytest.mark.long
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # The pair is its own, whatever the suite runs on: the same test in
        # both runs would prove the same thing twice.
        pytest.skip("brings up its own PostgreSQL pair: the suite's PostgreSQL run runs it")
    folder = postgres_bin()
    as_root_without_runuser = os.geteuid() == 0 and not shutil.which("runuser")
    if folder is None or as_root_without_runuser:
        reason = (
            "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, postgres) not found"
            " in /usr/lib/postgresql/<version>/bin: apt-get install postgresql"
        )
        if os.environ.get("ROAMWISE_REQUIRE_REPLICA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    started = pair_start(folder)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def seen(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("replica-site")
    env = {
        **scratch_environment(data_dir),
        "DATABASE_URL": pair.primary_url,
        "DATABASE_REPLICA_URL": pair.replica_url,
        "VAULT_DATABASE_URL": f"sqlite:///{data_dir / 'vault.sqlite3'}",
        "HUEY_NAME": f"replica-{os.getpid()}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("EU_DATABASE_URL", None)
    # Its log lines to a file: a full pipe nobody reads would stop it.
    log = (data_dir / "site.log").open("w")
    site = subprocess.Popen(
        [sys.executable, "-m", "roamwise.core.tests.replica_child"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert site.stdin is not None and site.stdout is not None
    try:
        line = site.stdout.readline()
        assert line, (data_dir / "site.log").read_text()[-4000:]
        prepared = json.loads(line)
        pair.wait_replayed()
        pair.sql(pair.replica_port, "SELECT pg_wal_replay_pause()")
        # "pause requested" until the startup process looks again, which it
        # does before applying any further record: nothing more is replayed.
        (state,) = pair.sql(pair.replica_port, "SELECT pg_get_wal_replay_pause_state()")[0]
        assert state in ("paused", "pause requested")
        out, _ = site.communicate("paused\n", timeout=120)
        assert site.returncode == 0, (data_dir / "site.log").read_text()[-4000:]
        yield {"prepared": prepared, **json.loads(out.strip().splitlines()[-1])}
    finally:
        if site.poll() is None:
            site.kill()
            site.wait()
        log.close()


def _count(pair: Pair, port: int, table: str, public_id: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE public_id = %s").format(sql.Identifier(table))
    return pair.sql(port, query, (public_id,))[0][0]


def test_the_replica_is_a_read_only_copy_of_the_primary(pair: Pair, seen: dict[str, Any]) -> None:
    assert pair.sql(pair.replica_port, "SELECT pg_is_in_recovery()") == [(True,)]
    # What was written before the pause is on both servers.
    for port in (pair.primary_port, pair.replica_port):
        assert _count(pair, port, "catalog_plan", seen["prepared"]["plan"]) == 1


def test_writes_go_to_the_primary(pair: Pair, seen: dict[str, Any]) -> None:
    assert seen["written_to"] == {"plan": "default", "order": "default"}
    assert _count(pair, pair.primary_port, "catalog_plan", seen["new_plan"]) == 1
    assert _count(pair, pair.primary_port, "orders_order", seen["order"]) == 1
    # The paused replica has not replayed them yet.
    assert _count(pair, pair.replica_port, "catalog_plan", seen["new_plan"]) == 0
    assert _count(pair, pair.replica_port, "orders_order", seen["order"]) == 0


def test_a_visitors_catalogue_read_is_served_by_the_replica(seen: dict[str, Any]) -> None:
    old = seen["visitor_old_plan"]
    assert old["status"] == 200
    assert "Plan on both servers" in old["body"]
    assert old["replica_plan_queries"] >= 1
    assert old["primary_plan_queries"] == 0
    # The plan written on the primary during the pause is not there yet.
    new = seen["visitor_new_plan"]
    assert new["status"] == 404
    assert new["replica_plan_queries"] >= 1


def test_a_customer_reads_their_own_writes_at_once(seen: dict[str, Any]) -> None:
    for page in ("customer_orders", "customer_order", "customer_new_plan"):
        assert seen[page]["status"] == 200, page
        assert "Plan written in the pause" in seen[page]["body"], page
        # Signed in: nothing of theirs, nor the catalogue, is read on the replica.
        assert seen[page]["replica_queries"] == 0, page


def test_replay_resumed_the_replica_catches_up(pair: Pair, seen: dict[str, Any]) -> None:
    pair.sql(pair.replica_port, "SELECT pg_wal_replay_resume()")
    pair.wait_replayed()
    assert _count(pair, pair.replica_port, "catalog_plan", seen["new_plan"]) == 1
    assert _count(pair, pair.replica_port, "orders_order", seen["order"]) == 1

"""Many machines, one schedule: the roles `serve` runs, and each periodic job
once a period however many schedulers enqueue it (issue: beyond one machine)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from huey import signals as S
from huey.contrib.djhuey import HUEY
from prometheus_client import REGISTRY

from roamwise.core.management.commands.serve import role_children
from roamwise.core.tasks import SCHEDULED_FOR
from roamwise.esims.tasks import profile_stock_check


def outcomes(name: str) -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value(
            "roamwise_jobs_total", {"task": name, "outcome": outcome}
        )
        or 0
        for outcome in (S.SIGNAL_COMPLETE, S.SIGNAL_CANCELED)
    }


def test_a_periodic_job_enqueued_by_two_schedulers_runs_once(
    transactional_db: None, jobs: Any, catalog: None
) -> None:
    # Transactional: the job closes its connection when it ends, as a consumer does.
    due_at = dt.datetime(2026, 12, 7, 9, 23)
    # Each scheduler reads what is due this minute and enqueues it.
    first = [t for t in HUEY.read_periodic(due_at) if t.name == profile_stock_check.s().name]
    second = [t for t in HUEY.read_periodic(due_at) if t.name == profile_stock_check.s().name]
    assert first and second and first[0].kwargs[SCHEDULED_FOR] == "2026-12-07T09:23"
    name = first[0].name
    before = outcomes(name)

    HUEY.enqueue(first[0])
    HUEY.enqueue(second[0])
    jobs()

    after = outcomes(name)
    assert after[S.SIGNAL_COMPLETE] - before[S.SIGNAL_COMPLETE] == 1
    assert after[S.SIGNAL_CANCELED] - before[S.SIGNAL_CANCELED] == 1
    # The next hour's run is a run of its own; a direct call always runs.
    HUEY.enqueue(next(t for t in HUEY.read_periodic(due_at.replace(hour=10)) if t.name == name))
    profile_stock_check()
    jobs()
    assert outcomes(name)[S.SIGNAL_COMPLETE] - before[S.SIGNAL_COMPLETE] == 3


def test_each_role_runs_its_own_processes() -> None:
    def names(role: str) -> list[tuple[str, list[str]]]:
        children = role_children(role, bind="127.0.0.1:8000", workers=2, threads=4, env={})
        return [(child.name, child.command[-2:]) for child in children]

    assert [n for n, _ in names("web")] == ["web server"]
    assert names("worker") == [("job consumer", ["run_huey", "--no-periodic"])]
    assert names("scheduler") == [("job consumer and scheduler", ["django", "run_huey"])]
    assert {"web server", "job consumer and scheduler"} <= {n for n, _ in names("all")}

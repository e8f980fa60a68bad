from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pytest

from roamwise.retention.models import RetentionRun, RetentionRunRule
from roamwise.retention.sweeps import retention_sweep_run
from roamwise.vault.services import clear_key_cache


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> None:
    # Unwrapped keys are cached per process: a key of an earlier test's
    # (rolled back) row would stand in for one this test must create.
    clear_key_cache()


def sweep(
    *rules: str, now: datetime | None = None, dry_run: bool = False, chunk_size: int = 1000
) -> RetentionRun:
    return retention_sweep_run(rules=rules, now=now, dry_run=dry_run, chunk_size=chunk_size)


def outcome(run: RetentionRun, model: str) -> RetentionRunRule:
    return run.rules.get(model=model)


def counts(run: RetentionRun, model: str) -> tuple[int, int, int]:
    """(deleted, anonymised, held) of one rule of a run."""
    rule = outcome(run, model)
    return rule.deleted, rule.anonymised, rule.held


def exists(model: type, pks: Iterable[object]) -> set[object]:
    return set(model._default_manager.filter(pk__in=list(pks)).values_list("pk", flat=True))  # type: ignore[attr-defined]

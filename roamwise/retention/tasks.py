"""The one periodic retention job: every rule of the data map, nightly."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import sweeps
from .models import RetentionRun


@db_periodic_task(crontab(hour="3", minute="17"))
def retention_sweep_nightly() -> int:
    """Apply every retention rule (RET-06); the run's id, for the logs."""
    run = sweeps.retention_sweep_run(trigger=RetentionRun.Trigger.TASK)
    return run.pk

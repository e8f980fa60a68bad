from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(hour="3", minute="17"))
def closed_accounts_sweep() -> int:
    """Every night: delete accounts closed more than the grace period ago."""
    return services.closed_accounts_sweep()

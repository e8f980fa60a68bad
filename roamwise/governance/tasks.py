"""Governance jobs: change notices in batches (POL-02), breach response (SEC-06).
Tasks take ids, hold no business logic and are safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roamwise.accounts.models import User


@db_task(retries=3, retry_delay=60)
def send_policy_notices(version_id: int) -> int:
    """One batch of notices; while a batch tells someone, the next one is queued.
    The notice rows are the progress record, so a lost job loses nothing."""
    from . import services

    told = services.policy_notices_send_batch(version_id=version_id)
    if told:
        send_policy_notices(version_id)
    return told


# --- Breach response (SEC-06) --------------------------------------------------------


@db_task(retries=2, retry_delay=60)
def incident_find_affected(incident_id: int, actor_id: int | None = None) -> int:
    from . import incidents

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return incidents.incident_affected_scan(incident_id=incident_id, actor=actor).subject_count


@db_task(retries=3, retry_delay=60)
def incident_notify_customers(incident_id: int) -> int:
    """Fan out: one batch job per chunk of affected customers not told yet."""
    from . import incidents

    pending = incidents.affected_pending_ids(incident_id=incident_id)
    for start in range(0, len(pending), incidents.NOTIFY_BATCH):
        incident_notify_batch(incident_id, pending[start : start + incidents.NOTIFY_BATCH])
    return len(pending)


@db_task(retries=3, retry_delay=60)
def incident_notify_batch(incident_id: int, affected_ids: list[int]) -> int:
    from . import incidents

    return incidents.incident_notify_batch(incident_id=incident_id, affected_ids=affected_ids)


@db_periodic_task(crontab(minute="*/10"))
def incident_deadline_reminders() -> int:
    """Every ten minutes: remind staff before the regulator deadline
    (48, 24 and 6 hours), once per incident and level."""
    from . import incidents

    return incidents.incident_reminders_send()

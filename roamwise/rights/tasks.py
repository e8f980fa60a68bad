"""Rights jobs: deadline reminders and dropping unverified public requests.
They hold no logic and are safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="10"))
def rights_reminders() -> int:
    """Every hour: remind before deadlines (once per request and level)."""
    from .services import staff as staff_queue

    return staff_queue.reminders_send()


@db_periodic_task(crontab(minute="40", hour="*/6"))
def rights_unverified_delete() -> int:
    """Public requests whose address was never verified are not kept."""
    from .services import public

    return public.unverified_requests_delete()

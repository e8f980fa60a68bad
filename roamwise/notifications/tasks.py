"""Email delivery jobs. They take ids and are safe to run twice (a lease and
the row's status decide who sends)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from roamwise.core.tasks import enqueue_on_commit


# A plain task (not db_task): it is also run inside tests' transactions, whose
# connection db_task would close; orders' jobs do the same.
@task()
def deliver_email(email_id: int) -> str:
    from . import services

    delivery = services.email_deliver(email_id=email_id)
    if delivery.retry_in is not None:
        deliver_email.schedule((email_id,), delay=delivery.retry_in)
    return delivery.outcome


@db_periodic_task(crontab(minute="*/5"))
def outbox_sweep() -> int:
    """Queued emails whose job was lost (queue restarted, worker killed)."""
    from . import services

    due = services.outbox_due()
    for email_id in due:
        deliver_email(email_id)
    return len(due)


@task()
def campaign_send_batch(campaign_id: int, after_user_id: int) -> int:
    """One batch of a campaign; the next batch is queued when this one is done.
    Running a batch twice sends nobody anything twice (one row per recipient)."""
    from . import services

    batch = services.campaign_batch_send(campaign_id=campaign_id, after_user_id=after_user_id)
    if batch.next_after is not None:
        enqueue_on_commit(campaign_send_batch, campaign_id, batch.next_after)
    return batch.sent


@db_periodic_task(crontab(minute="*/15"))
def campaign_sweep() -> int:
    """Campaigns whose chain of batches was lost go on from the start."""
    from . import services

    return len(services.campaigns_resume())

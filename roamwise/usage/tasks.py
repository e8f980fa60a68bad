"""Usage jobs: alerts and monthly partitions. The 12-month retention (RET-02)
is a rule of the retention sweep (``partitions.usage_records_sweep``).

Tasks take ids, hold no business logic and are safe to run twice.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roamwise.esims.models import Bundle
from roamwise.notifications import services as notifications

from . import partitions
from .models import Alert

# The notification kinds of each alert: all service messages (USE-03).
KINDS = {
    Alert.LOW_DATA: "low_data",
    Alert.DATA_USED_UP: "low_data",
    Alert.EXPIRY_SOON: "expiry",
}


@db_task(retries=3, retry_delay=60)
def send_usage_alert(bundle_id: int, kind: str) -> None:
    """A service message (USE-03): it goes whatever the marketing choices."""
    bundle = Bundle.objects.select_related("esim__customer", "plan").get(pk=bundle_id)
    esim = bundle.esim
    notifications.notify(
        user=esim.customer,
        kind=KINDS[kind],
        template="usage/email/alert",
        context={
            "bundle": bundle,
            "kind": kind,
            "plan": bundle.plan,
            "link": settings.SITE_URL + reverse("esims:detail", args=[esim.public_id]),
            "topup_link": settings.SITE_URL + reverse("esims:topup", args=[esim.public_id]),
            "site_name": settings.SITE_NAME,
        },
    )


@db_periodic_task(crontab(minute="*/15"))
def expiry_alerts() -> int:
    """One day before a bundle ends, tell its customer once."""
    from . import services

    due = services.expiry_alerts_due()
    for bundle_id in due:
        send_usage_alert(bundle_id, Alert.EXPIRY_SOON)
    return len(due)


@db_periodic_task(crontab(minute="5", hour="0"))
def usage_partitions_ahead() -> list[str]:
    """Keep this month's and next month's partitions ready before records arrive."""
    this_month = partitions.month_of(timezone.now())
    return partitions.partitions_ensure([this_month, partitions.next_month(this_month)])

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/10"))
def payments_reconcile() -> int:
    """Every ten minutes: settle checkouts whose webhooks never arrived."""
    from . import services

    return services.payments_reconcile()


@db_periodic_task(crontab(minute="*"))
def refunds_retry() -> int:
    """Every minute: ask again for refunds whose request or answer was lost."""
    from . import services

    return services.refunds_retry()

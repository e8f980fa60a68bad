from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/10"))
def audit_chain_anchor() -> int:
    """Copy the access log's signed head to the key store and the log (SEC-04);
    the anchored event's id, or 0 when the head had not moved."""
    from .services import chain_anchor

    anchor = chain_anchor()
    return anchor.event_id if anchor else 0

"""What an instance needs to serve: each check says only whether it answered."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connections

from .replica import REPLICA_ALIAS, replica_configured

logger = logging.getLogger(__name__)


def _database(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.warning("readiness: the %s database does not answer", alias, exc_info=True)
        return False
    return True


def _cache() -> bool:
    key, value = f"readyz:{uuid.uuid4().hex}", "1"
    try:
        cache.set(key, value, 10)
        answered = cache.get(key) == value
        cache.delete(key)
    except Exception:
        logger.warning("readiness: the shared cache does not answer", exc_info=True)
        return False
    return answered


def _queue() -> bool:
    from huey.contrib.djhuey import HUEY

    try:
        HUEY.pending_count()
    except Exception:
        logger.warning("readiness: the job queue does not answer", exc_info=True)
        return False
    return True


def readiness_checks() -> dict[str, bool]:
    checks = {
        "database": _database("default"),
        "key_store": _database("vault"),
        "cache": _cache(),
        "queue": _queue(),
    }
    if replica_configured():
        checks["replica"] = _database(REPLICA_ALIAS)
    return checks

"""The operator's own profiles at the SM-DP+ left to sell (ADR 0006), and the
alert to staff when a profile type runs low.

``ProfileStock`` holds the ICCIDs of our batch not yet given to an eSIM. When
a type the active plans use falls below ``ESIM_STOCK_LOW_AT``, staff are told
once a day until it is topped up (``manage.py esim_stock``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from roamwise.catalog.models import Plan
from roamwise.orders.tasks import staff_alert

from .models import ProfileStock

logger = logging.getLogger(__name__)
ALERTED_KEY = "esims:stock-low-alerted:{}"
ALERT_EVERY_SECONDS = 24 * 3600


def stock_low_at() -> int:
    return int(settings.ESIM_STOCK_LOW_AT)


def stock_levels() -> dict[str, int]:
    """Profiles left by type: every type an active plan uses, and any in stock."""
    levels = dict.fromkeys(
        Plan.objects.filter(is_active=True).values_list("profile_type", flat=True).distinct(), 0
    )
    for row in ProfileStock.objects.values("profile_type").annotate(n=Count("pk")):
        levels[row["profile_type"]] = row["n"]
    return dict(sorted(levels.items()))


def stock_check() -> list[str]:
    """Tell staff of each profile type below its threshold, at most once a day
    each. Returns the types alerted now."""
    alerted = []
    for profile_type, left in stock_levels().items():
        if left >= stock_low_at() or not cache.add(
            ALERTED_KEY.format(profile_type), True, ALERT_EVERY_SECONDS
        ):
            continue
        logger.warning("ES2+ stock of %s is low: %s left", profile_type, left)
        staff_alert(
            f"Few eSIM profiles left: {profile_type}",
            f"{left} profiles of type {profile_type} are left at the SM-DP+ "
            f"(the alert is at {stock_low_at()}, ESIM_STOCK_LOW_AT). Order a new batch from "
            "the SM-DP+ and add it with manage.py esim_stock; paid orders wait for a profile "
            "when none is left.",
        )
        alerted.append(profile_type)
    return alerted

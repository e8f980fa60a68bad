"""Reading analytics: the rotating visitor id, and the dashboard's numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import DailyCount

RAW_EVENT_DAYS = 90
FUNNEL_STEPS = ("destination", "plan", "checkout", "paid")


def visitor_hash(*, subject: str, day: dt.date) -> str:
    """A visitor's id for one day: keyed, so it cannot be recomputed without the
    server's secret, and different every day, so days cannot be joined."""
    return salted_hmac(
        "roamwise.analytics.visitor",
        f"{subject}|{day.isoformat()}",
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()[:32]


def subject_of_user(user: Any) -> str:
    return f"u:{user.public_id}"


def subject_of_visitor(visitor_id: str) -> str:
    return f"v:{visitor_id}"


def visitor_hashes_of_user(*, user: Any, today: dt.date | None = None) -> list[str]:
    """Every id a customer's signed-in events may carry while raw events are kept."""
    today = today or timezone.now().date()
    subject = subject_of_user(user)
    return [
        visitor_hash(subject=subject, day=today - dt.timedelta(days=n))
        for n in range(RAW_EVENT_DAYS + 2)
    ]


@dataclass(frozen=True)
class Dashboard:
    days: list[dt.date]
    visitors: list[int]
    pageviews: list[int]
    funnel: list[tuple[str, int]]
    destinations: list[tuple[str, int]]
    countries: list[tuple[str, int]]
    clicks: int
    average_dwell_seconds: float | None


def dashboard(*, days: int = 30, today: dt.date | None = None) -> Dashboard:
    """The last ``days`` complete days, from the anonymous daily counts only."""
    end = (today or timezone.now().date()) - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    span = [start + dt.timedelta(days=n) for n in range(days)]
    counts = DailyCount.objects.filter(day__range=(start, end))

    def series(metric: str) -> list[int]:
        by_day = dict(counts.filter(metric=metric, key="").values_list("day", "count"))
        return [by_day.get(day, 0) for day in span]

    def total(metric: str) -> int:
        return int(counts.filter(metric=metric).aggregate(n=Sum("count"))["n"] or 0)

    def by_key(metric: str, limit: int) -> list[tuple[str, int]]:
        rows = (
            counts.filter(metric=metric)
            .values("key")
            .annotate(n=Sum("count"))
            .order_by("-n", "key")[:limit]
        )
        return [(row["key"], int(row["n"])) for row in rows]

    dwell_samples = total("dwell_samples")
    return Dashboard(
        days=span,
        visitors=series("visitors"),
        pageviews=series("pageviews"),
        funnel=[(step, total(f"funnel_{step}")) for step in FUNNEL_STEPS],
        destinations=by_key("destination", 10),
        countries=by_key("country", 10),
        clicks=total("clicks"),
        average_dwell_seconds=(
            round(total("dwell_seconds") / dwell_samples, 1) if dwell_samples else None
        ),
    )

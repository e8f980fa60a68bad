"""What a customer sees of their usage: balance, days left, usage per day (SIM-03)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from roamwise.esims.models import Bundle, Esim

from .models import IngestBatch, UsageRecord

CHART_DAYS = 30


@dataclass(frozen=True)
class Balance:
    # None: unlimited.
    total_bytes: int | None
    used_bytes: int
    remaining_bytes: int | None
    expires_at: dt.datetime | None
    days_left: int | None
    # Validity has not started: it starts with the first traffic.
    not_started: bool

    @property
    def unlimited(self) -> bool:
        return self.total_bytes is None

    @property
    def used_percent(self) -> int:
        if not self.total_bytes:
            return 0
        return min(100, self.used_bytes * 100 // self.total_bytes)


def esim_balance(*, esim: Esim, now: dt.datetime | None = None) -> Balance:
    """The sum over the bundles that can still be used (active ones)."""
    now = now or timezone.now()
    # All of them, filtered here: a list of eSIMs prefetches them once for all.
    bundles = [b for b in esim.bundles.all() if b.state == Bundle.State.ACTIVE]
    unlimited = any(b.data_bytes is None for b in bundles)
    total = None if unlimited else sum(b.data_bytes or 0 for b in bundles)
    used = sum(b.used_bytes for b in bundles)
    remaining = None if unlimited else sum(b.remaining_bytes or 0 for b in bundles)
    ends = [b.expires_at for b in bundles if b.expires_at is not None]
    expires_at = max(ends) if ends else None
    days_left = None
    if expires_at is not None:
        seconds = max(0.0, (expires_at - now).total_seconds())
        days_left = int(-(-seconds // 86400))  # a day started counts as a day
    return Balance(
        total_bytes=total,
        used_bytes=used,
        remaining_bytes=remaining,
        expires_at=expires_at,
        days_left=days_left,
        not_started=bool(bundles) and not ends,
    )


def daily_usage(
    *, esim: Esim, days: int = CHART_DAYS, now: dt.datetime | None = None
) -> list[tuple[dt.date, int]]:
    """Bytes per day (UTC) over the last ``days`` days, every day present."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    totals = dict(
        UsageRecord.objects.filter(esim=esim, session_start__gte=start)
        .annotate(day=TruncDate("session_start", tzinfo=dt.UTC))
        .values("day")
        .annotate(total=Sum(F("bytes_up") + F("bytes_down")))
        .values_list("day", "total")
    )
    return [
        (first + dt.timedelta(days=n), int(totals.get(first + dt.timedelta(days=n)) or 0))
        for n in range(days)
    ]


def ingest_batches(*, limit: int = 50) -> list[IngestBatch]:
    return list(IngestBatch.objects.select_related("partner")[:limit])

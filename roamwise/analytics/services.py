"""Writing analytics: one event at a time, and the nightly aggregation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from roamwise.datamap.registry import Sweep, Swept

from .models import DailyCount, Event
from .selectors import RAW_EVENT_DAYS, visitor_hash

UUID_PART = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
NUMBER_PART = re.compile(r"(?<=/)\d+(?=/|$)")
# Countries with fewer visitors on a day than this are counted as "other",
# so that a rare country cannot single anyone out.
COUNTRY_MINIMUM = 5
PURGE_CHUNK = 5000


def path_normalise(path: str) -> str:
    """A path without query or fragment, with ids (UUIDs, numbers) replaced."""
    path = path.split("?", 1)[0].split("#", 1)[0][:200] or "/"
    path = UUID_PART.sub(":id", path)
    return NUMBER_PART.sub(":n", path)


def event_record(
    *,
    subject: str,
    kind: str,
    path: str,
    target: str = "",
    step: str = "",
    destination: str = "",
    dwell_ms: int | None = None,
    country: str = "",
    now: dt.datetime | None = None,
) -> Event:
    """Store one event. The caller has checked analytics consent for this request."""
    now = now or timezone.now()
    return Event.objects.create(
        visitor=visitor_hash(subject=subject, day=now.astimezone(dt.UTC).date()),
        kind=kind,
        path=path_normalise(path),
        target=path_normalise(target)[:100] if target.startswith("/") else target[:100],
        step=step,
        destination=destination[:16],
        dwell_ms=dwell_ms,
        country=country if re.fullmatch(r"[A-Z]{2}", country or "") else "",
        created_at=now,
    )


@dataclass
class AggregationResult:
    days: list[dt.date] = field(default_factory=list)
    counts: int = 0
    purged: int = 0
    held: int = 0


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def _counts_for(day: dt.date) -> list[DailyCount]:
    start, end = _day_range(day)
    events = Event.objects.filter(created_at__gte=start, created_at__lt=end)
    views = events.filter(kind=Event.Kind.PAGEVIEW)
    totals = events.aggregate(
        visitors=Count("visitor", filter=Q(kind=Event.Kind.PAGEVIEW), distinct=True),
        pageviews=Count("id", filter=Q(kind=Event.Kind.PAGEVIEW)),
        clicks=Count("id", filter=Q(kind=Event.Kind.CLICK)),
        dwell_samples=Count("id", filter=Q(kind=Event.Kind.DWELL, dwell_ms__isnull=False)),
        dwell_ms=Sum("dwell_ms", filter=Q(kind=Event.Kind.DWELL)),
    )
    rows = [
        DailyCount(day=day, metric=metric, key="", count=int(totals[metric] or 0))
        for metric in ("visitors", "pageviews", "clicks", "dwell_samples")
    ]
    rows.append(
        DailyCount(
            day=day, metric="dwell_seconds", key="", count=int(totals["dwell_ms"] or 0) // 1000
        )
    )
    for step in ("destination", "plan", "checkout", "paid"):
        reached = views.filter(step=step).values("visitor").distinct().count()
        rows.append(DailyCount(day=day, metric=f"funnel_{step}", key="", count=reached))
    for row in (
        views.exclude(destination="").values("destination").annotate(n=Count("id")).order_by()
    ):
        rows.append(
            DailyCount(day=day, metric="destination", key=row["destination"], count=row["n"])
        )
    other = 0
    for by_country in (
        views.exclude(country="")
        .values("country")
        .annotate(n=Count("visitor", distinct=True))
        .order_by()
    ):
        if by_country["n"] < COUNTRY_MINIMUM:
            other += by_country["n"]
        else:
            rows.append(
                DailyCount(
                    day=day, metric="country", key=by_country["country"], count=by_country["n"]
                )
            )
    if other:
        rows.append(DailyCount(day=day, metric="country", key="other", count=other))
    return rows


def analytics_aggregate(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    held: Q | None = None,
    chunk_size: int = PURGE_CHUNK,
) -> AggregationResult:
    """Turn every complete day's raw events into anonymous counts, once, then
    delete raw events older than 90 days (RET-04, USE-04): no raw event is
    deleted before its day is counted. Idempotent: a day already counted is
    not counted again; running twice purges nothing more. Events under a
    legal hold (``held``) are counted but not deleted."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    result = AggregationResult()
    raw_days = set(
        Event.objects.filter(created_at__lt=_day_range(today)[0])
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    counted = set(
        DailyCount.objects.filter(day__in=raw_days).values_list("day", flat=True).distinct()
    )
    for day in sorted(raw_days - counted):
        rows = _counts_for(day)
        result.days.append(day)
        result.counts += len(rows)
        if not dry_run:
            with transaction.atomic():
                DailyCount.objects.bulk_create(rows, ignore_conflicts=True)
    cutoff = now - dt.timedelta(days=RAW_EVENT_DAYS)
    expired = Event.objects.filter(created_at__lt=cutoff)
    if held is not None:
        result.held = expired.filter(held).count()
        expired = expired.exclude(held)
    if dry_run:
        result.purged = expired.count()
        return result
    while True:
        ids = list(expired.order_by("id").values_list("id", flat=True)[:chunk_size])
        if not ids:
            break
        deleted, _ = Event.objects.filter(id__in=ids).delete()
        result.purged += deleted
    return result


def analytics_events_sweep(*, sweep: Sweep) -> Swept:
    """The data map's sweeper of raw events: aggregate first, then purge
    what is past 90 days (RET-04)."""
    result = analytics_aggregate(
        now=sweep.now, dry_run=sweep.dry_run, held=sweep.held, chunk_size=sweep.chunk_size
    )
    return Swept(deleted=result.purged, held=result.held)

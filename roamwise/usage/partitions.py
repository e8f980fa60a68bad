"""Monthly partitions of the usage table on PostgreSQL (RET-02).

``usage_usagerecord`` is declared ``PARTITION BY RANGE (session_start)`` in
migration 0001, one partition per calendar month in UTC. Ingest makes sure the
months it is about to write exist; a daily task keeps next month ready; the
retention task drops every partition whose whole month is older than the 12
months records are kept, then deletes the few older rows left in the month
that straddles the cut-off. On SQLite the table is a plain table and retention
is a plain delete. The retention sweep calls ``usage_records_sweep``, declared
as the sweeper of usage records in ``usage.privacy``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.db.models import Q

from roamwise.datamap.registry import Sweep, Swept

from .models import UsageRecord, UsageRecordKey

PARENT = UsageRecord._meta.db_table
_NAME = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")


def month_of(moment: datetime) -> date:
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def partitions() -> dict[str, date]:
    """The existing partitions by name, with the month each holds."""
    if not is_partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname FROM pg_inherits
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            WHERE parent.relname = %s
            """,
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        if match := _NAME.match(name):
            found[name] = date(int(match[1]), int(match[2]), 1)
    return found


def partitions_ensure(months: Iterable[date]) -> list[str]:
    """Create the partitions of ``months`` that do not exist yet; their names.

    Runs in its own short transaction, before the records are written: creating
    a partition locks the parent table, which must not wait on a long ingest.
    """
    if not is_partitioned():
        return []
    wanted = {partition_name(m): m for m in months}
    missing = set(wanted) - set(partitions())
    if not missing:
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Two ingests creating the same month wait for each other here.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [PARENT])
        for name in sorted(missing):
            month = wanted[name]
            start, end = month_start(month), month_start(next_month(month))
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            created.append(name)
    return created


def _drop(name: str) -> int:
    """Drop one partition; the number of records it held."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
        count: int = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {name}")
    return count


def usage_records_expire(
    *, cutoff: datetime, dry_run: bool = False, held: Q | None = None, chunk_size: int = 5000
) -> Swept:
    """Remove the usage records of sessions that started before ``cutoff``:
    whole partitions first, then the rows left in the boundary month, in
    batches. Records under a legal hold (``held``) stay, and so does the
    partition they are in (RET-07)."""
    deleted = 0
    if is_partitioned():
        for name, month in sorted(partitions().items(), key=lambda item: item[1]):
            start, end = month_start(month), month_start(next_month(month))
            if end > cutoff:
                continue
            in_month = UsageRecord.objects.filter(session_start__gte=start, session_start__lt=end)
            if held is not None and in_month.filter(held).exists():
                continue  # its unheld rows go one by one below
            if not dry_run:
                deleted += _drop(name)
    old = UsageRecord.objects.filter(session_start__lt=cutoff)
    kept = old.filter(held).count() if held is not None else 0
    todo = old.exclude(held) if held is not None else old
    if dry_run:
        return Swept(deleted=todo.count(), held=kept)
    while pks := list(todo.order_by("pk").values_list("pk", flat=True)[:chunk_size]):
        with transaction.atomic():
            batch = UsageRecord.objects.filter(pk__in=pks)
            deleted += batch._raw_delete(batch.db)
    return Swept(deleted=deleted, held=kept)


def usage_records_sweep(*, sweep: Sweep) -> Swept:
    """The data map's sweeper of usage records (RET-02, 12 months)."""
    return usage_records_expire(
        cutoff=sweep.cutoff, dry_run=sweep.dry_run, held=sweep.held, chunk_size=sweep.chunk_size
    )


def usage_retention_apply(*, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """Records and their keys older than ``cutoff``, without regard to legal
    holds: the retention sweep uses ``usage_records_sweep`` and sweeps the
    keys by their own rule."""
    partitions_due = sum(
        1 for month in partitions().values() if month_start(next_month(month)) <= cutoff
    )
    records = usage_records_expire(cutoff=cutoff, dry_run=dry_run)
    old_keys = UsageRecordKey.objects.filter(session_start__lt=cutoff)
    keys = old_keys.count() if dry_run else old_keys._raw_delete(old_keys.db)
    return {
        "partitions_dropped": partitions_due,
        "records_deleted": records.deleted,
        "keys_deleted": keys,
    }

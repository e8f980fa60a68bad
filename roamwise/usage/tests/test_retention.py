"""RET-02: usage records are kept 12 months; on PostgreSQL, by monthly
partitions that retention drops whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from roamwise.esims.models import Esim
from roamwise.testing.lines import iccid, record
from roamwise.usage import partitions, services
from roamwise.usage.models import Partner, UsageRecord, UsageRecordKey
from roamwise.usage.privacy import USAGE_RETENTION

pytestmark = pytest.mark.django_db


def test_records_older_than_the_retention_are_refused_at_the_door(
    partner: tuple[Partner, str], line_esim: Esim
) -> None:
    old = record("old", iccid(1), hours_ago=24 * 366)
    result = services.usage_ingest_batch(partner=partner[0], raw_records=[old])
    assert result.accepted == 0
    assert "12 months" in result.rejected[0].reason


def _backdate(months_ago: int) -> None:
    """Move every stored record (and key) back by whole months."""
    shift = dt.timedelta(days=31 * months_ago)
    if partitions.is_partitioned():
        # A row cannot move between partitions by UPDATE without the target:
        # make sure it exists first.
        for row in UsageRecord.objects.all():
            partitions.partitions_ensure([partitions.month_of(row.session_start - shift)])
    UsageRecord.objects.update(
        session_start=models_shift("session_start", shift),
        session_end=models_shift("session_end", shift),
    )
    UsageRecordKey.objects.update(session_start=models_shift("session_start", shift))


def models_shift(field: str, shift: dt.timedelta) -> Any:
    from django.db.models import F

    return F(field) - shift


@pytest.mark.commitment("RET-02")
def test_retention_removes_what_is_older_than_12_months(
    partner: tuple[Partner, str], line_esim: Esim
) -> None:
    services.usage_ingest_batch(
        partner=partner[0], raw_records=[record("old", iccid(1), hours_ago=5)]
    )
    _backdate(14)
    services.usage_ingest_batch(
        partner=partner[0], raw_records=[record("new", iccid(1), hours_ago=5)]
    )
    cutoff = timezone.now() - USAGE_RETENTION
    dry = partitions.usage_retention_apply(cutoff=cutoff, dry_run=True)
    assert dry["records_deleted"] == 1
    assert UsageRecord.objects.count() == 2
    report = partitions.usage_retention_apply(cutoff=cutoff)
    assert report["records_deleted"] == 1
    assert report["keys_deleted"] == 1
    assert list(UsageRecord.objects.values_list("record_id", flat=True)) == ["new"]
    assert list(UsageRecordKey.objects.values_list("record_id", flat=True)) == ["new"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")
@pytest.mark.commitment("RET-02")
def test_months_become_partitions_and_old_ones_are_dropped_whole(
    partner: tuple[Partner, str], line_esim: Esim
) -> None:
    now = timezone.now()
    this_month = partitions.month_of(now)
    services.usage_ingest_batch(
        partner=partner[0], raw_records=[record("now", iccid(1), hours_ago=0)]
    )
    assert partitions.partition_name(this_month) in partitions.partitions()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat FROM pg_partitioned_table JOIN pg_class ON pg_class.oid = partrelid "
            "WHERE relname = %s",
            [partitions.PARENT],
        )
        assert cursor.fetchone() == ("r",)
        cursor.execute(f"SELECT count(*) FROM {partitions.partition_name(this_month)}")  # noqa: S608
        assert cursor.fetchone() == (1,)

    # Fourteen months ago, and eleven: one partition is past the retention.
    old_month = partitions.month_of(now - dt.timedelta(days=31 * 14))
    kept_month = partitions.month_of(now - dt.timedelta(days=31 * 11))
    partitions.partitions_ensure([old_month, kept_month])
    for name, month in ((f"old-{old_month}", old_month), (f"kept-{kept_month}", kept_month)):
        start = dt.datetime(month.year, month.month, 10, tzinfo=dt.UTC)
        UsageRecord.objects.create(
            partner=partner[0],
            record_id=name,
            esim=line_esim,
            session_start=start,
            session_end=start + dt.timedelta(hours=1),
            bytes_up=1,
            bytes_down=1,
            visited_network="20801",
        )
    report = partitions.usage_retention_apply(cutoff=now - USAGE_RETENTION)
    assert report["partitions_dropped"] >= 1
    names = partitions.partitions()
    assert partitions.partition_name(old_month) not in names
    assert partitions.partition_name(kept_month) in names
    assert set(UsageRecord.objects.values_list("record_id", flat=True)) == {
        "now",
        f"kept-{kept_month}",
    }

"""Usage ingest, balances and alerts (SIM-03, SIM-05).

A batch (an API request, or one chunk of a file) goes through four steps:

1. each record is checked on its own (``records.parse``); a bad one is refused
   with its line and reason, the good ones go on;
2. ICCIDs are resolved to eSIMs through the blind index, only among the lines
   the partner carries: another partner's ICCID is "unknown" to it;
3. in one transaction: the new (partner, record id) keys are inserted with
   conflict handling, the records of the keys that were new are stored, the
   batch's usage is summed per eSIM in SQL, and each eSIM's bundles are
   charged once for that sum (``balances_apply``);
4. after commit, the alerts the batch crossed are sent.

Killing the process loses at most the chunk in flight, which rolls back whole;
a re-run finds the stored keys and counts those records as duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core import locks
from roamwise.core.tasks import enqueue_on_commit
from roamwise.esims.models import ENDED_STATES, Bundle, Esim, EsimState
from roamwise.esims.services.lifecycle import esim_activate
from roamwise.vault.fields import blind_index_value

from . import partitions, records
from .errors import BatchTooLarge
from .models import (
    Alert,
    IngestBatch,
    IngestSource,
    Partner,
    partner_key_hash,
    partner_key_new,
)
from .privacy import USAGE_RETENTION
from .tasks import send_usage_alert as send_usage_alert_task

API_BATCH_LIMIT = 10_000
UNKNOWN_ICCID = "unknown ICCID: no line of this partner has it"
BEFORE_ASSIGNMENT = "session_start is before this line's profile was assigned to the eSIM"
LOW_DATA_PERCENT = 80
EXPIRY_NOTICE = dt.timedelta(days=1)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    bytes_total: int = 0
    rejected: list[records.Rejected] = field(default_factory=list)
    # Record ids, kept for API answers (at most one batch's worth).
    accepted_ids: list[str] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.bytes_total += other.bytes_total
        self.rejected.extend(other.rejected)
        self.accepted_ids.extend(other.accepted_ids)
        self.duplicate_ids.extend(other.duplicate_ids)


@dataclass
class EsimUsage:
    bytes_total: int
    first_seen: dt.datetime


# --- Partners -------------------------------------------------------------------


def partner_create(
    *, code: str, name: str, iccid_prefixes: str, requests_per_minute: int = 120, key: str = ""
) -> tuple[Partner, str]:
    """A new partner and its API key (shown once; only its hash is kept)."""
    key = key or partner_key_new()
    partner = Partner(
        code=code,
        name=name,
        iccid_prefixes=" ".join(iccid_prefixes.split()),
        requests_per_minute=requests_per_minute,
    )
    partner.set_key(key)
    partner.full_clean()
    partner.save()
    return partner, key


def partner_for_key(key: str) -> Partner | None:
    if not key:
        return None
    return Partner.objects.filter(key_hash=partner_key_hash(key), is_active=True).first()


# --- Ingest ---------------------------------------------------------------------


def usage_ingest_batch(*, partner: Partner, raw_records: list[Any]) -> IngestResult:
    """One API batch: every record accepted, duplicated or rejected, by id."""
    if len(raw_records) > API_BATCH_LIMIT:
        raise BatchTooLarge(
            gettext("A batch holds at most %(API_BATCH_LIMIT)s records.")
            % {"API_BATCH_LIMIT": API_BATCH_LIMIT}
        )
    batch = IngestBatch.objects.create(partner=partner, source=IngestSource.API)
    result = _ingest_chunk(
        partner=partner,
        numbered=list(enumerate(raw_records)),
        batch=batch,
        lines_done=len(raw_records),
        keep_ids=True,
    )
    IngestBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
    return result


def usage_ingest_stream(
    *,
    partner: Partner,
    numbered: Iterable[tuple[int, Any]],
    batch: IngestBatch,
    chunk_size: int = 20_000,
    on_chunk: Any = None,
) -> IngestResult:
    """A file's records, chunk by chunk; each chunk commits with the batch's
    progress, so a re-run resumes after ``batch.lines_done``."""
    total = IngestResult()
    iterator = iter(numbered)
    while chunk := list(islice(iterator, chunk_size)):
        result = _ingest_chunk(
            partner=partner,
            numbered=chunk,
            batch=batch,
            lines_done=chunk[-1][0],
            keep_ids=False,
        )
        total.add(result)
        if on_chunk is not None:
            on_chunk(chunk[-1][0], result)
    IngestBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
    return total


@dataclass(frozen=True, slots=True)
class LineEsim:
    """The eSIM a line's ICCID belongs to, as far as ingest needs it."""

    pk: int
    state: str
    # The eSIM exists from the order's payment; its profile (the ICCID) is
    # assigned after that, so no session on the line can be the customer's
    # before this moment.
    assigned_since: dt.datetime


def _resolve_esims(partner: Partner, iccids: set[str]) -> dict[str, LineEsim]:
    """ICCID -> the live eSIM holding it, for the ICCIDs of lines this partner
    carries (already without their 'F' pad: ``records.normalise_iccid``).

    ICCIDs are recycled: a profile cancelled before download goes back to the
    SM-DP+ and may be given to another eSIM, while the deleted or failed eSIM
    keeps the ICCID for its history. Only a live eSIM's bundles may be
    charged, and at most one live eSIM holds an ICCID (``esim_iccid_unique_live``);
    an ICCID only ended eSIMs hold is unknown to ingest.
    """
    carried = {iccid for iccid in iccids if partner.carries(iccid)}
    by_index = {blind_index_value(Esim, "iccid", iccid): iccid for iccid in carried}
    found: dict[str, LineEsim] = {}
    indexes = list(by_index)
    for start in range(0, len(indexes), 500):
        rows = (
            Esim.objects.filter(iccid_index__in=indexes[start : start + 500])
            .exclude(state__in=ENDED_STATES)
            .values_list("iccid_index", "pk", "state", "created_at")
        )
        for index, pk, state, created_at in rows:
            found[by_index[index]] = LineEsim(pk, state, created_at)
    return found


def _ingest_chunk(
    *,
    partner: Partner,
    numbered: list[tuple[int, Any]],
    batch: IngestBatch,
    lines_done: int,
    keep_ids: bool,
    esims: dict[str, LineEsim] | None = None,
    rows: list[records.Row] | None = None,
) -> IngestResult:
    now = timezone.now()
    oldest = now - USAGE_RETENTION
    result = IngestResult()
    # Rows already read (a wholesaler's reading); a partner's are parsed here.
    rows = list(rows or [])
    seen: set[str] = {row.record_id for row in rows}
    for line, raw in numbered:
        parsed = records.parse(line, raw, now=now, oldest=oldest)
        if isinstance(parsed, records.Rejected):
            result.rejected.append(parsed)
        elif parsed.record_id in seen:  # the same record twice in one batch
            result.duplicates += 1
            if keep_ids:
                result.duplicate_ids.append(parsed.record_id)
        else:
            seen.add(parsed.record_id)
            rows.append(parsed)

    if esims is None:
        esims = _resolve_esims(partner, {row.iccid for row in rows})
    known = []
    for row in rows:
        line_esim = esims.get(row.iccid)
        if line_esim is None:
            result.rejected.append(records.Rejected(row.line, row.record_id, UNKNOWN_ICCID))
        elif row.session_start < line_esim.assigned_since:
            # Traffic from before the customer had the profile is not theirs to
            # pay for (a previous holder's, or a partner's wrong date): refused
            # here, before either store path, so SQLite and PostgreSQL agree.
            result.rejected.append(records.Rejected(row.line, row.record_id, BEFORE_ASSIGNMENT))
        else:
            known.append(row)
    partitions.partitions_ensure({partitions.month_of(row.session_start) for row in known})

    with transaction.atomic():
        # First statement writes: on SQLite it takes the write lock at once, so
        # the key check below cannot race another batch.
        IngestBatch.objects.filter(pk=batch.pk).update(lines_done=lines_done)
        usage, stored_ids = _store(partner, known, esims, keep_ids=keep_ids)
        result.accepted = sum(count for count, _ in usage.values())
        result.duplicates += len(known) - result.accepted
        result.bytes_total = sum(u.bytes_total for _, u in usage.values())
        if keep_ids:
            stored = set(stored_ids)
            result.accepted_ids = [row.record_id for row in known if row.record_id in stored]
            result.duplicate_ids += [row.record_id for row in known if row.record_id not in stored]
        to_activate = [
            esim.pk
            for esim in {esims[row.iccid] for row in known}
            if esim.state == EsimState.INSTALLED and esim.pk in usage
        ]
        for esim in Esim.objects.filter(pk__in=to_activate, state=EsimState.INSTALLED):
            esim_activate(esim=esim)
        alerts = balances_apply(usage={pk: u for pk, (_, u) in usage.items()}, now=now)
        IngestBatch.objects.filter(pk=batch.pk).update(
            accepted=F("accepted") + result.accepted,
            duplicates=F("duplicates") + result.duplicates,
            rejected=F("rejected") + len(result.rejected),
            bytes_total=F("bytes_total") + result.bytes_total,
        )
        if alerts:
            for bundle_id, kind in alerts:
                enqueue_on_commit(send_usage_alert_task, bundle_id, kind)
    result.rejected.sort(key=lambda r: r.line)
    return result


def _store(
    partner: Partner,
    rows: list[records.Row],
    esims: dict[str, LineEsim],
    *,
    keep_ids: bool,
) -> tuple[dict[int, tuple[int, EsimUsage]], list[str]]:
    """Insert what is new; per eSIM (records stored, usage), and the stored ids."""
    if not rows:
        return {}, []
    if connection.vendor == "postgresql":
        return _store_postgresql(partner, rows, esims, keep_ids=keep_ids)
    return _store_sqlite(partner, rows, esims)


STAGING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS usage_staging (
    record_id varchar(64) NOT NULL,
    esim_id bigint NOT NULL,
    session_start timestamptz NOT NULL,
    session_end timestamptz NOT NULL,
    bytes_up bigint NOT NULL,
    bytes_down bigint NOT NULL,
    visited_network varchar(6) NOT NULL
) ON COMMIT DELETE ROWS
"""

# One statement: new keys, the records behind them, and the sums per eSIM.
STAGING_INSERT = """
WITH fresh AS (
    INSERT INTO usage_usagerecordkey (partner_id, record_id, esim_id, session_start)
    SELECT %(partner)s, record_id, esim_id, session_start FROM usage_staging
    ON CONFLICT (partner_id, record_id) DO NOTHING
    RETURNING record_id
), stored AS (
    INSERT INTO usage_usagerecord (
        partner_id, record_id, esim_id, session_start, session_end,
        bytes_up, bytes_down, visited_network
    )
    SELECT %(partner)s, s.record_id, s.esim_id, s.session_start, s.session_end,
           s.bytes_up, s.bytes_down, s.visited_network
    FROM usage_staging s JOIN fresh USING (record_id)
    RETURNING record_id, esim_id, session_start, bytes_up + bytes_down AS bytes_total
)
SELECT esim_id, count(*), sum(bytes_total), min(session_start),
       CASE WHEN %(keep_ids)s THEN array_agg(record_id) END
FROM stored GROUP BY esim_id
"""


def _store_postgresql(
    partner: Partner,
    rows: list[records.Row],
    esims: dict[str, LineEsim],
    *,
    keep_ids: bool,
) -> tuple[dict[int, tuple[int, EsimUsage]], list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(STAGING_DDL)
        columns = (
            "record_id, esim_id, session_start, session_end, bytes_up, bytes_down, visited_network"
        )
        with cursor.cursor.copy(f"COPY usage_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.record_id,
                        esims[row.iccid].pk,
                        row.session_start,
                        row.session_end,
                        row.bytes_up,
                        row.bytes_down,
                        row.visited_network,
                    )
                )
        cursor.execute(STAGING_INSERT, {"partner": partner.pk, "keep_ids": keep_ids})
        usage = {}
        stored_ids: list[str] = []
        for esim_id, count, total, first_seen, ids in cursor.fetchall():
            usage[esim_id] = (count, EsimUsage(int(total), first_seen))
            if ids:
                stored_ids.extend(ids)
    return usage, stored_ids


def _store_sqlite(
    partner: Partner, rows: list[records.Row], esims: dict[str, LineEsim]
) -> tuple[dict[int, tuple[int, EsimUsage]], list[str]]:
    adapt = connection.ops.adapt_datetimefield_value
    existing: set[str] = set()
    ids = [row.record_id for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                "SELECT record_id FROM usage_usagerecordkey "  # noqa: S608
                f"WHERE partner_id = %s AND record_id IN ({marks})",
                [partner.pk, *part],
            )
            existing.update(record_id for (record_id,) in cursor.fetchall())
        fresh = [row for row in rows if row.record_id not in existing]
        cursor.executemany(
            "INSERT INTO usage_usagerecordkey (partner_id, record_id, esim_id, session_start) "
            "VALUES (%s, %s, %s, %s)",
            [
                (partner.pk, row.record_id, esims[row.iccid].pk, adapt(row.session_start))
                for row in fresh
            ],
        )
        cursor.executemany(
            "INSERT INTO usage_usagerecord (partner_id, record_id, esim_id, session_start, "
            "session_end, bytes_up, bytes_down, visited_network) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    partner.pk,
                    row.record_id,
                    esims[row.iccid].pk,
                    adapt(row.session_start),
                    adapt(row.session_end),
                    row.bytes_up,
                    row.bytes_down,
                    row.visited_network,
                )
                for row in fresh
            ],
        )
    usage: dict[int, tuple[int, EsimUsage]] = {}
    for row in fresh:
        esim_id = esims[row.iccid].pk
        if esim_id in usage:
            count, seen = usage[esim_id]
            seen.bytes_total += row.bytes_total
            seen.first_seen = min(seen.first_seen, row.session_start)
            usage[esim_id] = (count + 1, seen)
        else:
            usage[esim_id] = (1, EsimUsage(row.bytes_total, row.session_start))
    return usage, [row.record_id for row in fresh]


def usage_ingest_supplied(
    *,
    partner: Partner,
    esim: Esim,
    record_id: str,
    since: dt.datetime,
    until: dt.datetime,
    bytes_total: int,
) -> IngestResult:
    """Usage a wholesaler reported for one of its eSIMs (ADR 0024): the data
    used between two of its readings, stored as one record and charged to the
    eSIM's bundles exactly as a network partner's session is, with the same
    alerts. ``record_id`` makes a repeat a duplicate, as for a partner."""
    if esim.state in ENDED_STATES:
        return IngestResult()
    row = records.Row(
        line=0,
        record_id=record_id,
        iccid=esim.iccid,
        session_start=since,
        session_end=until,
        bytes_up=0,
        bytes_down=bytes_total,
        visited_network="",  # a wholesaler does not say which network carried it
    )
    batch = IngestBatch.objects.create(partner=partner, source=IngestSource.API)
    result = _ingest_chunk(
        partner=partner,
        numbered=[],
        batch=batch,
        lines_done=1,
        keep_ids=False,
        esims={esim.iccid: LineEsim(esim.pk, esim.state, esim.created_at)},
        rows=[row],
    )
    IngestBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
    return result


def supplier_partner(*, code: str, name: str) -> Partner:
    """The usage source standing for a wholesaler: it carries no ICCID prefix
    and has no usable key, so nothing can report usage in its name over the
    partners' API; only the wholesaler's own readings are stored under it."""
    partner = Partner.objects.filter(code=code).first()
    if partner is not None:
        return partner
    partner = Partner(code=code, name=name, iccid_prefixes="", is_active=False)
    partner.set_key(partner_key_new())  # never shown to anyone
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError:
        return Partner.objects.get(code=code)
    return partner


# --- Balances -------------------------------------------------------------------


def _consumption_order(bundle: Bundle) -> tuple[int, dt.datetime, int]:
    # Bundles already running go first, the one that expires first before the
    # others; bundles not yet started follow in the order they were bought.
    if bundle.expires_at is not None:
        return (0, bundle.expires_at, bundle.pk)
    return (1, bundle.created_at, bundle.pk)


def balances_apply(*, usage: dict[int, EsimUsage], now: dt.datetime) -> list[tuple[int, str]]:
    """Charge each eSIM's active bundles for a batch's usage, in order of expiry.

    One locking read of the bundles of every eSIM in the batch (in primary-key
    order, so concurrent batches cannot deadlock), one bulk update; the alerts
    the batch crossed come back as (bundle id, kind). Usage beyond every
    bundle's allowance is charged to the last one, so the bundles' totals
    always equal the records'.
    """
    if not usage:
        return []
    bundles = locks.lock(
        Bundle.objects.filter(esim_id__in=sorted(usage), state=Bundle.State.ACTIVE)
    )
    by_esim: dict[int, list[Bundle]] = defaultdict(list)
    for bundle in bundles:
        by_esim[bundle.esim_id].append(bundle)
    alerts: list[tuple[int, str]] = []
    for esim_id, esim_bundles in by_esim.items():
        seen = usage[esim_id]
        for bundle in esim_bundles:
            if bundle.starts_at is None:  # the eSIM's first traffic starts its validity
                added = bundle.network_added_at or seen.first_seen
                bundle.starts_at = max(seen.first_seen, added)
                bundle.expires_at = bundle.starts_at + dt.timedelta(days=bundle.validity_days)
        esim_bundles.sort(key=_consumption_order)
        left = seen.bytes_total
        for index, bundle in enumerate(esim_bundles):
            last = index == len(esim_bundles) - 1
            room = bundle.remaining_bytes
            take = left if (room is None or last) else min(room, left)
            bundle.used_bytes += take
            left -= take
            alerts.extend(_crossed(bundle, now))
            if left == 0:
                break
    Bundle.objects.bulk_update(
        bundles,
        [
            "used_bytes",
            "state",
            "starts_at",
            "expires_at",
            "alerted_low_at",
            "alerted_used_up_at",
        ],
        batch_size=1000,
    )
    return alerts


def _crossed(bundle: Bundle, now: dt.datetime) -> list[tuple[int, str]]:
    data = bundle.data_bytes
    if data is None:
        return []
    if bundle.used_bytes >= data:
        bundle.state = Bundle.State.EXHAUSTED
        if bundle.alerted_used_up_at is None:
            bundle.alerted_used_up_at = now
            # Straight past 80% to 100%: one message says it all.
            bundle.alerted_low_at = bundle.alerted_low_at or now
            return [(bundle.pk, Alert.DATA_USED_UP)]
        return []
    if bundle.used_bytes * 100 >= data * LOW_DATA_PERCENT and bundle.alerted_low_at is None:
        bundle.alerted_low_at = now
        return [(bundle.pk, Alert.LOW_DATA)]
    return []


def bundles_expiry_reported(*, order_id: int, expires_at: dt.datetime) -> int:
    """A wholesaler says when its eSIM's validity ends (ADR 0024): the eSIM's
    running bundles that had no end yet take it, so that the expiry alert
    (``expiry_alerts_due``) goes as for any other bundle. Returns how many."""
    bundles = Bundle.objects.filter(
        esim__order_id=order_id, state=Bundle.State.ACTIVE, expires_at__isnull=True
    )
    changed = 0
    for bundle in bundles:
        starts_at = min(expires_at - dt.timedelta(days=bundle.validity_days), timezone.now())
        changed += Bundle.objects.filter(pk=bundle.pk, expires_at__isnull=True).update(
            starts_at=starts_at, expires_at=expires_at
        )
    return changed


def expiry_alerts_due(*, now: dt.datetime | None = None) -> list[int]:
    """Mark and return the bundles that expire within a day and were not told yet."""
    now = now or timezone.now()
    candidates = Bundle.objects.filter(
        state=Bundle.State.ACTIVE,
        expires_at__gt=now,
        expires_at__lte=now + EXPIRY_NOTICE,
        alerted_expiry_at__isnull=True,
    ).values_list("pk", flat=True)
    due = []
    for pk in candidates:
        # Conditional: two sweeps at once still alert once.
        if Bundle.objects.filter(pk=pk, alerted_expiry_at__isnull=True).update(
            alerted_expiry_at=now
        ):
            due.append(pk)
    return due

"""Usage ingest rate: Roamwise's file path against a raw bulk load of the same
rows (baseline) and against pure-SQL writes into Roamwise's own tables (ceiling).

    .venv/bin/python bench/ingest.py [--rows 50000] [--esims 500] [--rounds 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench \\
    VAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench_vault \\
        .venv/bin/python bench/ingest.py

Sets up the schema as ``make migrate`` does (on empty databases), ``--esims``
eSIMs on lines of one partner, and generates for every round a CSV file of
``--rows`` usage records (the same sessions each time, under new record ids).
Then, ``--rounds`` times in turn, each timed on its own file:

* baseline, the raw load: on PostgreSQL ``COPY ... FROM STDIN (FORMAT csv)``
  of the file into a bare table with the file's columns and no index; on
  SQLite ``executemany`` of the file's rows, as the CSV reader gives them,
  into such a table, between one explicit ``BEGIN`` and ``COMMIT``;
* Roamwise: ``manage.py usage_ingest`` on the file, which checks every record,
  resolves ICCIDs through the blind index, deduplicates on (partner, record
  id), writes the monthly partitions and charges the bundles, in chunks;
* ceiling, the schema's own limit: the same rows written by plain SQL, in one
  transaction, into the tables Roamwise writes, with their indexes and (on
  PostgreSQL) partitions: the key table with its unique index, the usage
  table, and the balance of each eSIM's active bundles. The ICCIDs are
  matched to eSIMs through a table of the bench's lines built beforehand (no
  blind index), and no record is checked. On PostgreSQL: ``COPY`` of the file
  into a temporary staging table, then one statement that inserts the keys
  (``ON CONFLICT DO NOTHING``), the records of the keys that were new, and
  ``UPDATE ... FROM`` the sums per eSIM. On SQLite: the file read with the
  CSV reader, ``executemany`` into the key table (``INSERT OR IGNORE``) and
  the usage table, and one ``UPDATE`` per eSIM with its sum, between one
  ``BEGIN`` and ``COMMIT``.

Prints records per second for each round, the medians with their range, and
Roamwise's rate as a share of the baseline's (goal on PostgreSQL: at least
0.5) and of the ceiling's. Memory is streamed, not loaded: the peak resident
size is printed after a file a tenth of the size and after every round.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import os
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench._measure import interleaved, migrate, report
from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo
from roamwise.esims.models import Bundle, Esim
from roamwise.testing.lines import esim_on_line, iccid
from roamwise.usage import partitions, services
from roamwise.usage.models import Partner, UsageRecord

COLUMNS = (
    "record_id",
    "iccid",
    "session_start",
    "session_end",
    "bytes_up",
    "bytes_down",
    "visited_network",
)
BARE = "bench_usage_bare"
LINES = "bench_line"
STAGING = "bench_usage_staging"
OLDEST = dt.timedelta(days=90)

# The ceiling on PostgreSQL: Roamwise's own statement (usage.services), with
# the ICCIDs matched by a join and the balances charged in the same statement.
CEILING_POSTGRESQL = f"""
WITH fresh AS (
    INSERT INTO usage_usagerecordkey (partner_id, record_id, esim_id, session_start)
    SELECT %(partner)s, s.record_id, l.esim_id, s.session_start
    FROM {STAGING} s JOIN {LINES} l USING (iccid)
    ON CONFLICT (partner_id, record_id) DO NOTHING
    RETURNING record_id
), stored AS (
    INSERT INTO usage_usagerecord (
        partner_id, record_id, esim_id, session_start, session_end,
        bytes_up, bytes_down, visited_network
    )
    SELECT %(partner)s, s.record_id, l.esim_id, s.session_start, s.session_end,
           s.bytes_up, s.bytes_down, s.visited_network
    FROM {STAGING} s JOIN {LINES} l USING (iccid) JOIN fresh USING (record_id)
    RETURNING esim_id, bytes_up + bytes_down AS bytes_total
)
UPDATE esims_bundle b SET used_bytes = b.used_bytes + used.bytes_total
FROM (SELECT esim_id, sum(bytes_total) AS bytes_total FROM stored GROUP BY esim_id) used
WHERE b.esim_id = used.esim_id AND b.state = %(active)s
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(esims: int) -> tuple[dict[str, int], Partner, Partner]:
    """The eSIMs on the bench's lines, by ICCID; the partner whose files
    Roamwise ingests and the one the ceiling writes in the name of."""
    migrate()
    catalog_load_demo()
    customer = User.objects.create_user("bench", "bench@example.com", "x" * 16)
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    plan = Plan.objects.filter(data_mb__isnull=False).first()
    assert plan is not None
    lines = {}
    for number in range(1, esims + 1):
        line = iccid(number)
        lines[line] = esim_on_line(customer, plan, line).pk
    Bundle.objects.update(data_mb=10**6)  # large enough to stay active throughout
    ours, _ = services.partner_create(code="bench", name="Bench network", iccid_prefixes="8944990")
    ceiling, _ = services.partner_create(
        code="ceiling", name="Ceiling network", iccid_prefixes="8944990"
    )
    now = timezone.now()
    months = {partitions.month_of(now - dt.timedelta(days=d)) for d in range(OLDEST.days + 1)}
    partitions.partitions_ensure(months)
    text = "text" if connection.vendor == "sqlite" else "varchar(64)"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {LINES} (iccid {text} PRIMARY KEY, esim_id bigint NOT NULL)")
        cursor.executemany(f"INSERT INTO {LINES} VALUES (%s, %s)", list(lines.items()))
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE {STAGING} (record_id varchar(64), iccid varchar(20), "
                "session_start timestamptz, session_end timestamptz, bytes_up bigint, "
                "bytes_down bigint, visited_network varchar(6)) ON COMMIT DELETE ROWS"
            )
            cursor.execute(
                f"CREATE TABLE {BARE} (record_id varchar(64), iccid varchar(20), "
                "session_start timestamptz, session_end timestamptz, bytes_up bigint, "
                "bytes_down bigint, visited_network varchar(6))"
            )
        else:
            cursor.execute(
                f"CREATE TABLE {BARE} (record_id text, iccid text, session_start text, "
                "session_end text, bytes_up integer, bytes_down integer, visited_network text)"
            )
    return lines, ours, ceiling


def generate(path: Path, lines: list[str], rows: int, prefix: str) -> Path:
    """``rows`` sessions of the last 90 days on ``lines``: the same sessions
    for every prefix, under record ids of their own."""
    rng = random.Random(1)
    now = timezone.now()
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for n in range(rows):
            start = now - dt.timedelta(seconds=rng.randrange(60, OLDEST.days * 86400))
            writer.writerow(
                (
                    f"{prefix}{n}",
                    lines[n % len(lines)],
                    start.isoformat(),
                    (start + dt.timedelta(minutes=rng.randrange(1, 60))).isoformat(),
                    rng.randrange(0, 5_000_000),
                    rng.randrange(0, 50_000_000),
                    "20801",
                )
            )
    return path


def baseline(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {BARE}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {BARE} FROM STDIN (FORMAT csv, HEADER true)"
            with path.open("rb") as stream, cursor.cursor.copy(sql) as copy:
                while block := stream.read(1 << 20):
                    copy.write(block)
        else:
            with path.open(newline="") as stream:
                reader = csv.reader(stream)
                next(reader)
                cursor.execute("BEGIN")
                cursor.executemany(
                    f"INSERT INTO {BARE} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    reader,  # type: ignore[arg-type]
                )
                cursor.execute("COMMIT")
    return time.perf_counter() - started


def roamwise(path: Path) -> float:
    started = time.perf_counter()
    call_command(
        "usage_ingest", str(path), "--partner", "bench", "--no-progress",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return time.perf_counter() - started


def ceiling_postgresql(path: Path, partner: Partner) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        sql = f"COPY {STAGING} FROM STDIN (FORMAT csv, HEADER true)"
        with path.open("rb") as stream, cursor.cursor.copy(sql) as copy:
            while block := stream.read(1 << 20):
                copy.write(block)
        cursor.execute(
            CEILING_POSTGRESQL, {"partner": partner.pk, "active": Bundle.State.ACTIVE.value}
        )
        cursor.execute("COMMIT")
    return time.perf_counter() - started


def stored_form(iso: str) -> str:
    """A UTC ISO timestamp as Django stores it on SQLite ("2026-01-02 03:04:05.678901")."""
    return iso.removesuffix("+00:00").replace("T", " ")


def ceiling_sqlite(path: Path, partner: Partner, lines: dict[str, int]) -> float:
    started = time.perf_counter()
    with path.open(newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        rows = [
            (
                partner.pk,
                record_id,
                lines[line],
                stored_form(start),
                stored_form(end),
                int(up),
                int(down),
                network,
            )
            for record_id, line, start, end, up, down, network in reader
        ]
    used: dict[int, int] = defaultdict(int)
    for row in rows:
        used[row[2]] += row[5] + row[6]
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.executemany(
            "INSERT OR IGNORE INTO usage_usagerecordkey (partner_id, record_id, esim_id, "
            "session_start) VALUES (%s, %s, %s, %s)",
            [row[:4] for row in rows],
        )
        cursor.executemany(
            "INSERT INTO usage_usagerecord (partner_id, record_id, esim_id, session_start, "
            "session_end, bytes_up, bytes_down, visited_network) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.executemany(
            "UPDATE esims_bundle SET used_bytes = used_bytes + %s WHERE esim_id = %s AND state = %s",
            [(total, esim_id, Bundle.State.ACTIVE.value) for esim_id, total in used.items()],
        )
        cursor.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--esims", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"database: {connection.vendor}; preparing {args.esims} eSIMs ...", flush=True)
    lines, ours, top = prepare(args.esims)
    work = Path(tempfile.mkdtemp(prefix="roamwise-ingest-"))
    small = max(1, args.rows // 10)
    roamwise(generate(work / "warm.csv", list(lines), small, "w"))
    rss_small = peak_rss_mb()
    numbers = {name: itertools.count(1) for name in ("b", "r", "c")}

    def on_new_file(prefix: str, measure: Callable[[Path], float]) -> Callable[[], float]:
        def step() -> float:
            path = work / f"{prefix}.csv"
            generate(path, list(lines), args.rows, f"{prefix}{next(numbers[prefix])}-")
            try:
                return args.rows / measure(path)
            finally:
                path.unlink()

        return step

    if connection.vendor == "postgresql":
        ceiling_step = on_new_file("c", lambda path: ceiling_postgresql(path, top))
        names = ("raw COPY", "Roamwise ingest", "SQL into the schema")
    else:
        ceiling_step = on_new_file("c", lambda path: ceiling_sqlite(path, top, lines))
        names = ("raw executemany", "Roamwise ingest", "SQL into the schema")
    print(f"{args.rounds} rounds of {args.rows} records each ...", flush=True)

    def show(rate: float) -> str:
        return f"{rate:10,.0f}"

    results = interleaved(
        args.rounds,
        {
            names[0]: on_new_file("b", baseline),
            names[1]: on_new_file("r", roamwise),
            names[2]: ceiling_step,
        },
        show=show,
        unit="records/s",
    )
    rss_full = peak_rss_mb()

    stored = UsageRecord.objects.filter(partner=ours).count()
    assert stored == small + args.rounds * args.rows, stored
    stored = UsageRecord.objects.filter(partner=top).count()
    assert stored == args.rounds * args.rows, stored
    used = sum(
        Bundle.objects.filter(esim__in=Esim.objects.all()).values_list("used_bytes", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(bytes_up + bytes_down) FROM usage_usagerecord")
        assert used == cursor.fetchone()[0], "the bundles' totals differ from the records'"
        cursor.execute(f"DROP TABLE {BARE}")
        cursor.execute(f"DROP TABLE {LINES}")

    report(
        results,
        show=show,
        unit="records/s",
        subjects=[names[1]],
        baseline=names[0],
        ceiling=names[2],
        higher_is_better=True,
    )
    print("goal on PostgreSQL: Roamwise at least 0.5 of the baseline's rate")
    print(
        f"peak resident memory: {rss_small:.0f} MB after {small} records, "
        f"{rss_full:.0f} MB after {args.rounds * args.rows} more"
    )


if __name__ == "__main__":
    main()

"""Usage ingest rate: Roamwise's file path against a raw bulk load of the same rows.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--esims 500]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench \\
    VAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench_vault \\
        .venv/bin/python bench/ingest.py

Generates a CSV of usage records for ``--esims`` eSIMs, then, in the same run:

* baseline: on PostgreSQL a raw ``COPY ... FROM STDIN (FORMAT csv)`` of the
  file into a bare table with the same columns and no index; on SQLite a raw
  ``executemany`` of the parsed rows into such a table, in one transaction;
* Roamwise: ``manage.py usage_ingest`` on the same file, which checks every
  record, resolves ICCIDs, deduplicates on (partner, record id), writes the
  monthly partitions and updates the balances.

Prints records per second for both and the ratio (goal on PostgreSQL: at least
0.5). Memory is streamed, not loaded: the peak resident size is printed after
a file a tenth of the size and after the full file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo
from roamwise.esims.models import Bundle
from roamwise.usage import services
from roamwise.usage.models import UsageRecord
from roamwise.usage.tests.conftest import esim_on_line, iccid

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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(esims: int) -> list[str]:
    call_command("migrate", verbosity=0)
    call_command("migrate", database="vault", verbosity=0)
    catalog_load_demo()
    customer = User.objects.create_user("bench", "bench@example.com", "x" * 16)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    plan = Plan.objects.filter(data_mb__isnull=False).first()
    assert plan is not None
    lines = [iccid(n) for n in range(1, esims + 1)]
    for line in lines:
        esim_on_line(customer, plan, line)
    Bundle.objects.update(data_mb=10**6)  # large enough to stay active throughout
    services.partner_create(code="bench", name="Bench network", iccid_prefixes="8944990")
    return lines


def generate(path: Path, lines: list[str], rows: int, prefix: str) -> None:
    rng = random.Random(1)
    now = timezone.now()
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for n in range(rows):
            start = now - dt.timedelta(seconds=rng.randrange(60, 90 * 86400))
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


def baseline(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
        if connection.vendor == "postgresql":
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
                cursor.executemany(
                    f"INSERT INTO {BARE} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    reader,  # type: ignore[arg-type]
                )
        connection.commit() if not connection.get_autocommit() else None
    return time.perf_counter() - started


def roamwise(path: Path) -> float:
    started = time.perf_counter()
    call_command(
        "usage_ingest", str(path), "--partner", "bench", "--no-progress",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--esims", type=int, default=500)
    args = parser.parse_args()

    print(f"database: {connection.vendor}; preparing {args.esims} eSIMs ...", flush=True)
    lines = prepare(args.esims)
    work = Path(tempfile.mkdtemp(prefix="roamwise-ingest-"))
    small, full = work / "small.csv", work / "full.csv"
    generate(small, lines, max(1, args.rows // 10), "s")
    generate(full, lines, args.rows, "f")
    print(f"files: {full.stat().st_size / 1e6:.0f} MB for {args.rows} records", flush=True)

    roamwise(small)
    rss_small = peak_rss_mb()
    base_seconds = baseline(full)
    ours_seconds = roamwise(full)
    rss_full = peak_rss_mb()
    stored = UsageRecord.objects.count()
    assert stored == args.rows + max(1, args.rows // 10), stored

    base_rate = args.rows / base_seconds
    ours_rate = args.rows / ours_seconds
    label = "raw COPY" if connection.vendor == "postgresql" else "raw executemany"
    print(f"{label:>16}: {base_seconds:7.2f} s  {base_rate:10,.0f} records/s")
    print(f"{'Roamwise ingest':>16}: {ours_seconds:7.2f} s  {ours_rate:10,.0f} records/s")
    print(f"ratio Roamwise/raw: {ours_rate / base_rate:.2f} (goal on PostgreSQL: >= 0.5)")
    print(
        f"peak resident memory: {rss_small:.0f} MB after {args.rows // 10} records, "
        f"{rss_full:.0f} MB after {args.rows} more"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE}")


if __name__ == "__main__":
    main()

"""Supplier catalogue import: Roamwise's import against an ORM bulk insert of
the same rows (baseline) and a plain SQL insert of them (ceiling).

    .venv/bin/python bench/supplier_sync.py [--packages 5000] [--rounds 5]

Builds ``--packages`` packages as an adapter returns them, then, ``--rounds``
times in turn, each round under supplier codes of its own:

* baseline: ``bulk_create`` of the same ``SupplierPackage`` rows (built from
  the packages inside the timing) into the supplier's empty catalogue, with
  nothing read or compared;
* Roamwise, first import: ``supplier_catalogue_import`` into an empty
  catalogue (every package new, inactive);
* Roamwise, re-import: the same catalogue with a tenth repriced and a fifth
  withdrawn (price changes and withdrawals found and reported);
* ceiling: the same rows built the same way, their values prepared by the
  model's fields (as ``bulk_create`` does), and written by one ``COPY`` on
  PostgreSQL, by one ``executemany`` between ``BEGIN`` and ``COMMIT`` on
  SQLite: the table's own limit, without the ORM's saving machinery.

Prints medians and ranges of the seconds for each and the ratios to the
baseline and the ceiling (issue 22: the import of 5,000 packages under 10 s).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.db import connection
from django.utils import timezone

from bench._measure import interleaved, migrate, report
from roamwise.suppliers.base import Coverage, Money, Package
from roamwise.suppliers.catalogue import supplier_catalogue_import
from roamwise.suppliers.models import SupplierPackage


def packages(count: int) -> list[Package]:
    return [
        Package(
            package_id=f"bench-{i}",
            title=f"Bench {i} GB",
            coverage=Coverage.LOCAL if i % 5 else Coverage.REGIONAL,
            countries=("ES",) if i % 5 else ("DE", "ES", "FR"),
            data_mb=1024 * (i % 20 + 1),
            validity_days=7 + i % 3 * 8,
            wholesale=Money(Decimal("1.25") + Decimal(i % 50) / 10, "USD"),
            networks=("Movistar", "Vodafone"),
        )
        for i in range(count)
    ]


def package_rows(supplier: str, catalogue: list[Package]) -> list[SupplierPackage]:
    now = timezone.now()
    return [
        SupplierPackage(
            supplier=supplier,
            package_id=p.package_id,
            title=p.title,
            coverage=p.coverage.value,
            countries=list(p.countries),
            data_mb=p.data_mb,
            validity_days=p.validity_days,
            networks=list(p.networks),
            wholesale_amount=p.wholesale.amount,
            wholesale_currency=p.wholesale.currency,
            first_seen=now,
            last_seen=now,
        )
        for p in catalogue
    ]


def baseline(supplier: str, catalogue: list[Package]) -> float:
    started = time.perf_counter()
    SupplierPackage.objects.bulk_create(package_rows(supplier, catalogue), batch_size=1000)
    return time.perf_counter() - started


def ceiling(supplier: str, catalogue: list[Package]) -> float:
    fields = [f for f in SupplierPackage._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = SupplierPackage._meta.db_table
    started = time.perf_counter()
    params = [
        [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
        for row in package_rows(supplier, catalogue)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
            cursor.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    migrate()
    catalogue = packages(args.packages)
    changed = [
        replace(p, wholesale=Money(p.wholesale.amount + 1, "USD")) if i % 10 == 0 else p
        for i, p in enumerate(catalogue[: args.packages * 4 // 5])
    ]
    rounds = {name: itertools.count(1) for name in ("raw", "bench", "again", "sql")}

    def first() -> float:
        code = f"bench{next(rounds['bench'])}"
        started = time.perf_counter()
        supplier_catalogue_import(supplier_code=code, packages=catalogue)
        return time.perf_counter() - started

    def again() -> float:
        code = f"bench{next(rounds['again'])}"
        started = time.perf_counter()
        summary = supplier_catalogue_import(supplier_code=code, packages=changed)
        seconds = time.perf_counter() - started
        assert len(summary.price_changes) == len(changed[::10]), len(summary.price_changes)
        assert len(summary.withdrawn) == args.packages - len(changed), len(summary.withdrawn)
        return seconds

    def show(seconds: float) -> str:
        return f"{seconds:7.3f}"

    print(
        f"packages: {args.packages}; re-import: {len(changed[::10])} repriced, "
        f"{args.packages - len(changed)} withdrawn; database: {connection.vendor}",
        flush=True,
    )
    results = interleaved(
        args.rounds,
        {
            "bulk_create": lambda: baseline(f"raw{next(rounds['raw'])}", catalogue),
            "first import": first,
            "re-import": again,
            "plain SQL": lambda: ceiling(f"sql{next(rounds['sql'])}", catalogue),
        },
        show=show,
        unit="s",
    )
    report(
        results,
        show=show,
        unit="s",
        subjects=["first import", "re-import"],
        baseline="bulk_create",
        ceiling="plain SQL",
        higher_is_better=False,
    )


if __name__ == "__main__":
    main()

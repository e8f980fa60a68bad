"""Supplier catalogue import: Roamwise's import against a raw bulk insert of the same rows.

    .venv/bin/python bench/supplier_sync.py [--packages 5000]

Builds ``--packages`` packages as an adapter returns them, then, in the same run:

* baseline: ``bulk_create`` of the same ``SupplierPackage`` rows into an empty
  table, with nothing read or compared;
* Roamwise, first import: ``supplier_catalogue_import`` into an empty catalogue
  (every package new, inactive);
* Roamwise, re-import: the same catalogue with a tenth repriced and a fifth
  withdrawn (price changes and withdrawals found and reported).

Prints seconds for each and the ratio to the baseline (issue 22: the import of
5,000 packages under 10 s).
"""

from __future__ import annotations

import argparse
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

from django.core.management import call_command
from django.utils import timezone

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=5000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="vault", verbosity=0)
    catalogue = packages(args.packages)

    now = timezone.now()
    started = time.perf_counter()
    SupplierPackage.objects.bulk_create(
        [
            SupplierPackage(
                supplier="raw",
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
        ],
        batch_size=1000,
    )
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    supplier_catalogue_import(supplier_code="bench", packages=catalogue)
    first = time.perf_counter() - started

    changed = [
        replace(p, wholesale=Money(p.wholesale.amount + 1, "USD")) if i % 10 == 0 else p
        for i, p in enumerate(catalogue[: args.packages * 4 // 5])
    ]
    started = time.perf_counter()
    summary = supplier_catalogue_import(supplier_code="bench", packages=changed)
    again = time.perf_counter() - started

    print(f"packages: {args.packages}")
    print(f"raw bulk insert:   {baseline:6.2f} s")
    print(f"first import:      {first:6.2f} s  ({first / baseline:.1f}x the raw insert)")
    print(
        f"re-import:         {again:6.2f} s  ({len(summary.price_changes)} repriced, "
        f"{len(summary.withdrawn)} withdrawn)"
    )


if __name__ == "__main__":
    main()

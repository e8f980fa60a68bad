from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roamwise.notifications.models import Notification
from roamwise.suppliers.base import Coverage, Money, Package
from roamwise.suppliers.catalogue import supplier_catalogue_import, supplier_catalogue_sync
from roamwise.suppliers.esimaccess import EsimAccess
from roamwise.suppliers.models import SupplierPackage
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.tasks import sync_supplier_catalogues

from .conftest import closed_port_url

# Two imports of 5,000 packages, in batches (SQLite's are the smallest: 115 queries);
# a row at a time would take over 10,000.
QUERY_CEILING = 200

pytestmark = pytest.mark.commitment("SIM-01")


def test_new_packages_arrive_inactive_with_their_cost(esimaccess: EsimAccessStandin) -> None:
    summary = supplier_catalogue_sync(supplier_code="esimaccess")

    # 20 packages, and a top-up for each of the 16 local ones.
    assert len(summary.created) == 36 and summary.updated == 0
    assert SupplierPackage.objects.get(package_id="TOPUP_P00000").top_up is True
    row = SupplierPackage.objects.get(supplier="esimaccess", package_id="P00004")
    assert row.active is False and row.listed is True
    assert (row.wholesale_amount, row.wholesale_currency) == (Decimal("1.4"), "USD")
    assert (row.coverage, row.countries, row.data_mb, row.validity_days) == (
        "regional",
        ["DE", "ES", "FR"],
        5 * 1024,
        15,
    )
    assert row.first_seen == row.last_seen


def test_price_changes_and_withdrawals_are_reported_to_staff(
    esimaccess: EsimAccessStandin, airalo: AiraloStandin
) -> None:
    supplier_catalogue_sync(supplier_code="esimaccess")
    SupplierPackage.objects.filter(package_id="P00001").update(active=True)
    esimaccess.packages[1]["price"] = 15_500
    withdrawn = esimaccess.packages.pop(2)
    alerts_before = Notification.objects.filter(kind="staff_alert").count()

    summary = supplier_catalogue_sync(supplier_code="esimaccess")

    assert summary.created == [] and summary.updated == 34
    assert [(c.package_id, c.old, c.new) for c in summary.price_changes] == [
        ("P00001", Decimal("1.1"), Decimal("1.55")),
        ("TOPUP_P00001", Decimal("1.1"), Decimal("1.55")),
    ]
    assert (
        summary.withdrawn
        == ["P00002", "TOPUP_P00002"]
        == [
            withdrawn["packageCode"],
            f"TOPUP_{withdrawn['packageCode']}",
        ]
    )
    gone = SupplierPackage.objects.get(package_id=withdrawn["packageCode"])
    assert gone.listed is False and gone.active is False
    changed = SupplierPackage.objects.get(package_id="P00001")
    assert changed.wholesale_amount == Decimal("1.55") and changed.active is True
    alert = Notification.objects.filter(kind="staff_alert").order_by("-pk").first()
    assert Notification.objects.filter(kind="staff_alert").count() == alerts_before + 1
    assert alert is not None


def test_an_unchanged_catalogue_alerts_no_one(esimaccess: EsimAccessStandin) -> None:
    supplier_catalogue_sync(supplier_code="esimaccess")
    alerts = Notification.objects.filter(kind="staff_alert").count()

    summary = supplier_catalogue_sync(supplier_code="esimaccess")

    assert not summary.needs_attention
    assert Notification.objects.filter(kind="staff_alert").count() == alerts


def test_the_command_imports_airalos_catalogue(airalo: AiraloStandin) -> None:
    out = StringIO()

    call_command("supplier_sync", "airalo", stdout=out)

    assert "airalo: 20 new (inactive, to review)" in out.getvalue()
    assert SupplierPackage.objects.filter(supplier="airalo", active=False).count() == 20


def test_importing_5000_packages_takes_a_few_set_based_queries() -> None:
    # Set-based, whatever the catalogue's size: a query count, not a time, so
    # that a busy machine cannot fail it (bench/supplier_sync.py measures seconds).
    packages = [
        Package(
            package_id=f"bulk-{i}",
            title=f"Bulk {i}",
            coverage=Coverage.LOCAL,
            countries=("ES",),
            data_mb=1024,
            validity_days=7,
            wholesale=Money(Decimal("1.25"), "USD"),
        )
        for i in range(5000)
    ]
    repriced = [
        replace(p, wholesale=Money(Decimal("1.30"), "USD")) if i % 10 == 0 else p
        for i, p in enumerate(packages[:4000])
    ]

    with CaptureQueriesContext(connection) as queries:
        first = supplier_catalogue_import(supplier_code="bulk", packages=packages)
        again = supplier_catalogue_import(supplier_code="bulk", packages=repriced)

    assert (len(first.created), again.updated, len(again.withdrawn)) == (5000, 4000, 1000)
    assert len(again.price_changes) == 400
    repriced_rows = SupplierPackage.objects.filter(supplier="bulk", wholesale_amount=Decimal("1.3"))
    assert repriced_rows.count() == 400
    assert len(queries) <= QUERY_CEILING, [q["sql"][:80] for q in queries.captured_queries]


def test_the_stand_in_runs_as_its_own_process(settings: Any) -> None:
    env = {**os.environ, "ESIMACCESS_ACCESS_CODE": "process-code"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_supplier_standin", "esimaccess", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        settings.ESIMACCESS_API_BASE = url
        settings.ESIMACCESS_ACCESS_CODE = "process-code"

        packages = EsimAccess.from_settings().packages()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert url.startswith("http://127.0.0.1:") and len(packages) == 36


def test_the_nightly_job_imports_each_configured_supplier(
    esimaccess: EsimAccessStandin, settings: Any
) -> None:
    settings.AIRALO_CLIENT_ID = ""  # Airalo not configured: skipped

    outcome = sync_supplier_catalogues.call_local()

    assert list(outcome) == ["esimaccess"]
    assert SupplierPackage.objects.filter(supplier="esimaccess").count() == 36
    assert not SupplierPackage.objects.filter(supplier="airalo").exists()


def test_one_supplier_down_does_not_stop_the_nightly_job(
    esimaccess: EsimAccessStandin, airalo: AiraloStandin, settings: Any
) -> None:
    settings.AIRALO_API_BASE = closed_port_url("/v2")

    outcome = sync_supplier_catalogues.call_local()

    assert outcome["airalo"].startswith("failed: airalo is unavailable")
    assert SupplierPackage.objects.filter(supplier="esimaccess").count() == 36

"""Stock and suppliers at a glance, and the alert when profiles run low (issue:
run the business, item 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core import mail
from django.utils import timezone

from roamwise.audit.roles import BILLING, SUPPORT_AGENT
from roamwise.esims.models import ProfileStock
from roamwise.esims.stock import stock_check
from roamwise.reports.selectors import supply_glance
from roamwise.suppliers.models import Allocation, SupplierCredit
from roamwise.testing.helpers import committed
from roamwise.testing.people import staff_client


def allocation(supplier: str, number: int, **fields: Any) -> Allocation:
    return Allocation.objects.create(
        supplier=supplier, transaction_id=f"t-{supplier}-{number}", package_id="P1", **fields
    )


def test_each_supplier_shows_its_credit_failures_and_failovers(
    catalog: None, settings: Any
) -> None:
    settings.AIRALO_CREDIT_FLOOR = 100
    SupplierCredit.objects.create(
        supplier="airalo", amount=Decimal("42.50"), currency="USD", read_at=timezone.now()
    )
    allocation("airalo", 1)
    allocation("airalo", 2, status=Allocation.Status.FAILED)
    allocation("airalo", 3, disposition=Allocation.Disposition.ABANDONED)
    old = allocation("airalo", 4, status=Allocation.Status.FAILED)
    Allocation.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=9))

    suppliers, _ = supply_glance()

    airalo = next(s for s in suppliers if s.code == "airalo")
    assert (airalo.allocations, airalo.failed, airalo.failovers) == (3, 1, 1)
    assert airalo.credit is not None and airalo.credit.amount == Decimal("42.50")
    assert airalo.credit_low
    assert any(s.code == "es2plus" for s in suppliers)


def test_profiles_left_by_type_and_staff_told_once_when_low(
    catalog: None, settings: Any, jobs: Any
) -> None:
    settings.ESIM_STOCK_LOW_AT = 3
    for n in range(2):
        ProfileStock.objects.create(
            iccid=f"894499000000000000{n}", profile_type="roamwise-standard"
        )

    _, stock = supply_glance()
    (standard,) = [s for s in stock if s.profile_type == "roamwise-standard"]
    assert (standard.available, standard.low) == (2, True)

    assert committed(stock_check) == ["roamwise-standard"]
    assert committed(stock_check) == []  # once a day, not at every check
    jobs()
    (alert,) = [m for m in mail.outbox if "Few eSIM profiles left" in m.subject]
    assert "2 profiles of type roamwise-standard" in alert.body


def test_the_page_opens_for_staff_with_the_permission(catalog: None) -> None:
    billing, _ = staff_client(BILLING, "bookkeeper")
    agent, _ = staff_client(SUPPORT_AGENT, "agent")

    page = billing.get("/admin/reports/supply/")

    assert page.status_code == 200
    assert 'id="stock-roamwise-standard"' in page.content.decode()
    assert agent.get("/admin/reports/supply/").status_code == 403
    assert 'href="/admin/reports/supply/"' in billing.get("/admin/").content.decode()

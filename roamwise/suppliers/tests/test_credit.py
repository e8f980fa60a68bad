"""Our prepaid credit at the wholesalers (ADR 0024): read where the API offers
it, staff alerted below a floor, and an order refused for lack of credit
fails over or is refunded, never left hanging."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim, EsimState
from roamwise.orders.models import OrderStatus
from roamwise.suppliers import monitoring
from roamwise.suppliers.models import Allocation, SupplierCredit
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.testing.shopping import buy

from .supplying import (
    AIRALO_PACKAGE,
    ESIMACCESS_PACKAGE,
    assert_supplied_by_esimaccess,
    events,
    supplied_by,
)

pytestmark = pytest.mark.commitment("SIM-01")


def credit_alerts() -> list[Any]:
    return [m for m in mail.outbox if "Credit at" in m.subject]


def test_credit_is_read_and_staff_are_alerted_once_below_the_floor(
    transactional_db: None,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    settings: Any,
    jobs: Any,
) -> None:
    settings.AIRALO_CREDIT_FLOOR = 500
    settings.ESIMACCESS_CREDIT_FLOOR = 100
    airalo.credit = 250.5
    esimaccess.balance = 4_500_000  # 450.00, in ten-thousandths

    outcome = monitoring.credits_check()
    jobs()

    assert outcome == {"airalo": "250.5 USD", "esimaccess": "450 USD"}
    assert SupplierCredit.objects.get(supplier="airalo").amount == Decimal("250.5")
    assert SupplierCredit.objects.get(supplier="esimaccess").amount == Decimal("450")
    (alert,) = credit_alerts()
    assert "Airalo" in alert.subject and alert.to == [django_settings.STAFF_ALERT_EMAIL]
    assert "250.5 USD" in alert.body and "AIRALO_CREDIT_FLOOR" in alert.body

    # Still low: not told again. Topped up, then low again: told again.
    monitoring.credits_check()
    airalo.credit = 900
    monitoring.credits_check()
    airalo.credit = 10
    monitoring.credits_check()
    jobs()
    assert len(credit_alerts()) == 2


def test_airalos_credit_limit_notification_is_recorded_and_alerts(
    transactional_db: None, airalo: AiraloStandin, client: Client, jobs: Any
) -> None:
    body = json.dumps({"message": "Surpassed 80% of your credit limit", "remaining": 42}).encode()
    headers = {"airalo-signature": airalo.sign(body)}

    first = client.post("/suppliers/webhooks/airalo/", body, "application/json", headers=headers)
    again = client.post("/suppliers/webhooks/airalo/", body, "application/json", headers=headers)
    bad = json.dumps({"message": "Surpassed 80%", "remaining": "a lot"}).encode()
    unreadable = client.post(
        "/suppliers/webhooks/airalo/",
        bad,
        "application/json",
        headers={"airalo-signature": airalo.sign(bad)},
    )
    jobs()

    assert [first.json()["outcome"], again.json()["outcome"]] == ["applied", "duplicate"]
    assert unreadable.status_code == 400
    assert SupplierCredit.objects.get(supplier="airalo").amount == Decimal("42")
    assert len(credit_alerts()) == 1


def test_an_order_airalo_refuses_for_lack_of_credit_goes_to_the_next_source(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    airalo.credit = 0.5
    esimaccess.allocation_delay = 0

    order = buy(buyer, plan, jobs)

    assert_supplied_by_esimaccess(order, esimaccess)
    left = Allocation.objects.get(order=order, supplier="airalo")
    assert (left.status, left.disposition) == ("failed", "abandoned")
    assert any(n.startswith("airalo refused") and "credit" in n for n in events(order))
    # The refusal reads the balance at once: staff hear of it now.
    assert SupplierCredit.objects.get(supplier="airalo").amount == Decimal("0.5")
    assert len(credit_alerts()) == 1


def test_an_order_no_source_has_credit_for_is_refunded(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE), ("airalo", AIRALO_PACKAGE))
    airalo.credit = 0
    esimaccess.balance = 0

    order = buy(buyer, plan, jobs)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunds.get().status == "succeeded"
    assert Esim.objects.get(order=order).state == EsimState.FAILED
    assert airalo.orders == {} and esimaccess.orders == {}
    assert {c.supplier for c in SupplierCredit.objects.all()} == {"airalo", "esimaccess"}

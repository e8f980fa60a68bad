"""The wholesalers' stand-ins misbehave on request (``bench/faults.py``,
ADR 0025), and the shop neither loses nor doubles an order through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db.models import F
from django.test import Client
from django.utils import timezone

from bench.faults import tally
from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim
from roamwise.orders.models import OrderStatus
from roamwise.orders.tasks import fulfilment_sweep
from roamwise.suppliers import services
from roamwise.suppliers.errors import SupplierUnavailable
from roamwise.suppliers.fulfilment import ALLOCATION_WAIT
from roamwise.suppliers.models import Allocation, PlanSource, SupplierPackage
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.server import FaultSwitch, serve_in_thread
from roamwise.suppliers.tasks import reconcile_lost_supplier_orders
from roamwise.testing.shopping import buy

from .supplying import AIRALO_PACKAGE, ESIMACCESS_PACKAGE, events, supplied_by

pytestmark = [pytest.mark.commitment("SIM-01"), pytest.mark.django_db]


@pytest.fixture
def faulty(settings: Any) -> Iterator[str]:
    standin = EsimAccessStandin(allocation_delay=3600, rate_limit=1000)
    server, url = serve_in_thread(FaultSwitch(standin))
    settings.ESIMACCESS_API_BASE = url
    settings.ESIMACCESS_ACCESS_CODE = standin.access_code
    settings.HTTP_TIMEOUT_SECONDS = 1
    settings.SUPPLIER_MAX_RETRY_WAIT = 5
    yield url
    server.shutdown()
    server.server_close()


def fault(url: str, mode: str, **more: object) -> None:
    answer = requests.post(f"{url}/admin/fault", json={"mode": mode, **more}, timeout=5)
    assert answer.status_code == 200, answer.text


def placed(url: str) -> list[str]:
    ledger = requests.get(f"{url}/admin/ledger", timeout=5).json()
    return [order["transaction_id"] for order in ledger["orders"]]


def place() -> Allocation:
    return services.allocation_place(
        supplier_code="esimaccess", package_id="P00001", transaction_id="rw-fault-1"
    )


def test_an_answer_lost_after_the_supplier_acted_is_not_ordered_twice(faulty: str) -> None:
    # The order is placed, but its answer comes after we gave up waiting.
    fault(faulty, "slow", seconds=30, delay=2, path="esim/order")
    with pytest.raises(SupplierUnavailable):
        place()
    assert placed(faulty) == ["rw-fault-1"]
    assert Allocation.objects.get().reference == ""

    fault(faulty, "none")
    allocation = place()  # eSIM Access deduplicates on our transaction id

    assert allocation.reference
    assert placed(faulty) == ["rw-fault-1"]


def test_a_garbled_answer_is_unavailable_and_the_order_is_found_again(faulty: str) -> None:
    fault(faulty, "garbage", seconds=30, path="esim/order")
    with pytest.raises(SupplierUnavailable, match="no envelope"):
        place()
    fault(faulty, "none")

    assert place().reference
    assert placed(faulty) == ["rw-fault-1"]


def test_a_429_is_waited_out_and_a_503_orders_nothing(faulty: str) -> None:
    fault(faulty, "unavailable", seconds=30)
    with pytest.raises(SupplierUnavailable, match="unavailable"):
        place()
    assert placed(faulty) == []

    # Refused for a second with Retry-After: 1, then served.
    fault(faulty, "rate_limited", seconds=1)
    allocation = place()

    assert allocation.reference
    assert placed(faulty) == ["rw-fault-1"]


def test_the_fault_switch_refuses_an_unknown_mode(faulty: str) -> None:
    answer = requests.post(f"{faulty}/admin/fault", json={"mode": "explode"}, timeout=5)
    assert answer.status_code == 400
    assert "mode must be one of" in answer.json()["message"]


# --- Lost answers through the shop (ADR 0037) ------------------------------------------


@pytest.fixture
def faulty_airalo(settings: Any) -> Iterator[tuple[AiraloStandin, str]]:
    standin = AiraloStandin(async_delay=0)
    server, url = serve_in_thread(FaultSwitch(standin))
    settings.AIRALO_API_BASE = f"{url}/v2"
    settings.AIRALO_CLIENT_ID = standin.client_id
    settings.AIRALO_CLIENT_SECRET = standin.client_secret
    settings.SUPPLIER_MAX_RETRY_WAIT = 0
    yield standin, url
    server.shutdown()
    server.server_close()


def time_passes(minutes: float) -> None:
    """The lost calls are over (moved rather than waited for)."""
    Allocation.objects.update(created_at=F("created_at") - timedelta(minutes=minutes))


def settle(jobs: Callable[[], int]) -> None:
    """What the scheduler does once the faults are over: the sweeps, then their jobs."""
    for _ in range(3):
        fulfilment_sweep.call_local()
        reconcile_lost_supplier_orders.call_local()
        if not jobs():
            return


@pytest.mark.commitment("ORD-03")
def test_a_supplier_order_whose_answer_is_lost_ends_fulfilled_or_refunded_never_doubled(
    shop: str,
    faulty_airalo: tuple[AiraloStandin, str],
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Callable[[], int],
    settings: Any,
) -> None:
    airalo, url = faulty_airalo
    settings.SIMULATOR_FAULTS = True
    settings.HTTP_TIMEOUT_SECONDS = 1
    settings.RECOVERY_AFTER_SECONDS = 0
    esimaccess.allocation_delay = 0
    only_airalo = Plan.objects.get(destination__code="FR", data_mb=3072)
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    PlanSource.objects.create(
        plan=only_airalo,
        rank=1,
        package=SupplierPackage.objects.get(supplier="airalo", package_id=AIRALO_PACKAGE),
    )

    # A: Airalo acts, then answers too late: the order goes on to eSIM Access.
    fault(url, "slow", seconds=60, delay=2, path="/orders")
    order_a = buy(buyer, plan, jobs)
    # B: the same with Airalo the plan's only source: the order waits for the lookup.
    order_b = buy(buyer, only_airalo, jobs)
    # C: Airalo is down (refuses without acting) for longer than the order may wait.
    fault(url, "unavailable", seconds=60, path="/orders")
    order_c = buy(buyer, only_airalo, jobs)
    fault(url, "none")
    order_b.refresh_from_db()
    assert order_b.status == OrderStatus.PAID  # neither failed nor sent again yet
    assert len([o for o in airalo.orders.values() if o["type"] == "sim"]) == 2

    fault(url, "unavailable", seconds=60, path="/orders")  # C's supplier is still down
    Allocation.objects.filter(order=order_c).update(
        created_at=timezone.now() - ALLOCATION_WAIT - timedelta(seconds=1)
    )
    time_passes(2)
    settle(jobs)
    fault(url, "none")
    settle(jobs)

    ledgers = {
        name: requests.get(f"{base}/admin/ledger", timeout=5).json()
        for name, base in (("airalo", url),)
    }
    result = tally(ledgers)
    assert result.violations == [], result.lines()
    assert result.supplier_answers_lost == [] and result.supplier_ordered_twice == []
    for order, status in (
        (order_a, OrderStatus.FULFILLED),
        (order_b, OrderStatus.FULFILLED),
        (order_c, OrderStatus.REFUNDED),
    ):
        order.refresh_from_db()
        assert order.status == status, (order, events(order))
    # A: supplied by eSIM Access; Airalo's profile found, kept and recorded.
    assert Allocation.objects.get(order=order_a, supplier="esimaccess").disposition == "fulfilled"
    lost_a = Allocation.objects.get(order=order_a, supplier="airalo")
    assert (lost_a.status, lost_a.disposition) == ("ready", "kept") and lost_a.reference
    # B: its own lost Airalo order, found rather than sent twice.
    lost_b = Allocation.objects.get(order=order_b)
    assert Esim.objects.get(order=order_b).iccid == lost_b.iccid
    # C: Airalo never had it: nothing there, refunded once.
    assert Allocation.objects.get(order=order_c).status in ("pending", "failed")
    assert order_c.refunds.count() == 1
    assert len([o for o in airalo.orders.values() if o["type"] == "sim"]) == 2

"""The wholesalers' stand-ins misbehave on request (``bench/faults.py``,
ADR 0025), and the shop neither loses nor doubles an order through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from roamwise.suppliers import services
from roamwise.suppliers.errors import SupplierUnavailable
from roamwise.suppliers.models import Allocation
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.server import FaultSwitch, serve_in_thread

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

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from roamwise.suppliers import services
from roamwise.suppliers.base import Coverage, OrderStatus
from roamwise.suppliers.errors import (
    NoCredit,
    OutOfStock,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from roamwise.suppliers.esimaccess import EsimAccess
from roamwise.suppliers.models import Allocation, WebhookReceipt
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin

from .conftest import WEBHOOK_TOKEN, closed_port_url

pytestmark = pytest.mark.commitment("SIM-01")
WEBHOOK = f"/suppliers/webhooks/esimaccess/{WEBHOOK_TOKEN}/"


def test_a_wrong_access_code_is_refused_and_not_worth_retrying(
    esimaccess: EsimAccessStandin, settings: Any
) -> None:
    settings.ESIMACCESS_ACCESS_CODE = "wrong"

    with pytest.raises(SupplierRejected) as refused:
        EsimAccess.from_settings().packages()

    assert refused.value.detail == "000101"
    assert refused.value.retryable is False


def test_the_catalogue_is_read_in_our_units(esimaccess: EsimAccessStandin) -> None:
    packages = {p.package_id: p for p in EsimAccess.from_settings().packages()}

    first = packages["P00000"]  # price 10000 ten-thousandths, 1 GB in bytes
    assert (first.wholesale.amount, first.wholesale.currency) == (Decimal("1"), "USD")
    assert (first.data_mb, first.validity_days, first.coverage) == (1024, 7, Coverage.LOCAL)
    assert first.countries == ("ES",) and first.networks == ("NetES",)
    unlimited = packages["P00006"]
    assert unlimited.unlimited and unlimited.data_mb == 0 and "512 kbps" in unlimited.fair_use
    regional = packages["P00004"]
    assert regional.coverage == Coverage.REGIONAL and regional.countries == ("DE", "ES", "FR")
    assert packages["P00001"].wholesale.amount == Decimal("1.1")


def test_an_envelope_error_becomes_a_typed_error(esimaccess: EsimAccessStandin) -> None:
    supplier = EsimAccess.from_settings()

    with pytest.raises(SupplierNotFound) as missing:
        supplier.order(package_id="NOPE", transaction_id="t-missing")
    esimaccess.profiles_left = 0
    with pytest.raises(OutOfStock):
        supplier.order(package_id="P00001", transaction_id="t-stock")
    esimaccess.profiles_left, esimaccess.balance = 10, 0
    with pytest.raises(NoCredit):
        supplier.order(package_id="P00001", transaction_id="t-credit")

    assert missing.value.detail == "310241"
    assert esimaccess.orders == {}


def test_repeating_an_order_with_its_transaction_id_returns_the_same_order(
    esimaccess: EsimAccessStandin,
) -> None:
    supplier = EsimAccess.from_settings()
    balance = esimaccess.balance

    first = supplier.order(package_id="P00002", transaction_id="t-1")
    again = supplier.order(package_id="P00002", transaction_id="t-1")

    assert first.reference == again.reference
    assert first.status == OrderStatus.PENDING
    assert len(esimaccess.orders) == 1
    assert esimaccess.balance == balance - 12_000


def test_an_allocation_placed_twice_orders_once(esimaccess: EsimAccessStandin) -> None:
    first = services.allocation_place(
        supplier_code="esimaccess", package_id="P00002", transaction_id="t-2"
    )
    again = services.allocation_place(
        supplier_code="esimaccess", package_id="P00002", transaction_id="t-2"
    )

    assert first.pk == again.pk and again.reference
    assert len(esimaccess.orders) == 1
    assert (again.cost_amount, again.cost_currency) == (Decimal("1.2"), "USD")


def test_the_profile_arrives_by_polling(esimaccess: EsimAccessStandin) -> None:
    allocation = services.allocation_place(
        supplier_code="esimaccess", package_id="P00003", transaction_id="t-poll"
    )

    still = services.allocation_refresh(allocation_id=allocation.pk)
    assert still.status == Allocation.Status.PENDING
    esimaccess.allocate_now()
    ready = services.allocation_refresh(allocation_id=allocation.pk)

    esim = esimaccess.orders[allocation.reference].esim
    assert esim is not None
    assert ready.status == Allocation.Status.READY
    assert ready.iccid == esim["iccid"]
    assert f"LPA:1${ready.smdp_address}${ready.matching_id}" == esim["ac"]


def test_the_profile_arrives_by_webhook(
    esimaccess: EsimAccessStandin,
    client: Client,
    jobs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    allocation = services.allocation_place(
        supplier_code="esimaccess", package_id="P00003", transaction_id="t-hook"
    )
    esimaccess.allocate_now()
    body, _ = esimaccess.outbox[-1]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(WEBHOOK, body, content_type="application/json")
    jobs()

    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    allocation.refresh_from_db()
    assert allocation.status == Allocation.Status.READY
    assert allocation.iccid == esimaccess.orders[allocation.reference].esim["iccid"]  # type: ignore[index]


def test_a_duplicate_webhook_is_answered_2xx_and_applied_once(
    esimaccess: EsimAccessStandin, client: Client
) -> None:
    services.allocation_place(supplier_code="esimaccess", package_id="P00003", transaction_id="t-d")
    esimaccess.allocate_now()
    body, _ = esimaccess.outbox[-1]

    first = client.post(WEBHOOK, body, content_type="application/json")
    second = client.post(WEBHOOK, body, content_type="application/json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["outcome"] == "duplicate"
    assert WebhookReceipt.objects.count() == 1


def test_a_webhook_without_the_secret_or_malformed_is_refused(
    esimaccess: EsimAccessStandin, client: Client
) -> None:
    services.allocation_place(supplier_code="esimaccess", package_id="P00003", transaction_id="t-b")
    esimaccess.allocate_now()
    body, _ = esimaccess.outbox[-1]

    wrong = client.post(
        "/suppliers/webhooks/esimaccess/guess/", body, content_type="application/json"
    )
    malformed = client.post(WEBHOOK, b"{not json", content_type="application/json")
    unknown = client.post(
        WEBHOOK,
        b'{"notifyType":"ORDER_STATUS","content":{"orderNo":"B0","orderStatus":"GOT_RESOURCE"}}',
        content_type="application/json",
    )

    assert wrong.status_code == 404
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid_webhook"
    assert unknown.status_code == 404
    assert WebhookReceipt.objects.count() == 0


def test_a_429_is_waited_out_as_retry_after_says(esimaccess: EsimAccessStandin) -> None:
    esimaccess.rate_limit, esimaccess.retry_after = 1, 1
    supplier = EsimAccess.from_settings()
    supplier.balance()

    started = time.monotonic()
    balance = supplier.balance()

    assert time.monotonic() - started >= 1
    assert balance.amount == Decimal(esimaccess.balance) / 10_000
    assert esimaccess.requests_seen.count("/api/v1/open/balance/query") == 3


def test_a_429_beyond_the_wait_we_allow_is_unavailable_and_retryable(
    esimaccess: EsimAccessStandin, settings: Any
) -> None:
    esimaccess.rate_limit, esimaccess.retry_after = 1, 30
    supplier = EsimAccess.from_settings()
    supplier.balance()

    with pytest.raises(SupplierUnavailable) as limited:
        supplier.balance()

    assert limited.value.retryable and limited.value.retry_after == 30


@pytest.mark.commitment("SIM-02")
def test_top_up_and_usage(esimaccess: EsimAccessStandin) -> None:
    allocation = services.allocation_place(
        supplier_code="esimaccess", package_id="P00000", transaction_id="t-top"
    )
    esimaccess.allocate_now()
    allocation = services.allocation_refresh(allocation_id=allocation.pk)
    supplier = EsimAccess.from_settings()

    supplier.top_up(iccid=allocation.iccid, package_id="TOPUP_P00001", transaction_id="t-top-1")
    usage = supplier.usage(iccid=allocation.iccid)

    assert (usage.total_mb, usage.remaining_mb) == (1024 + 2048, 1024 + 2048)


def test_an_order_whose_answer_was_lost_is_sent_again_and_bought_once(
    esimaccess: EsimAccessStandin, settings: Any
) -> None:
    api = settings.ESIMACCESS_API_BASE
    settings.ESIMACCESS_API_BASE = closed_port_url()
    with pytest.raises(SupplierUnavailable):
        services.allocation_place(
            supplier_code="esimaccess", package_id="P00002", transaction_id="t-lost"
        )
    settings.ESIMACCESS_API_BASE = api

    allocation = services.allocation_place(
        supplier_code="esimaccess", package_id="P00002", transaction_id="t-lost"
    )

    assert allocation.reference in esimaccess.orders and len(esimaccess.orders) == 1

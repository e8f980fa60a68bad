"""eSIM Go behind the supplier interface (ADR 0037): its catalogue with cost,
orders through the shop, a lost answer looked up before anything is sent
again, usage by polling and signed callbacks, top-ups, and failover into and
out of it. The shop and the stand-ins over HTTP on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.orders.models import Fulfilment, OrderStatus
from roamwise.suppliers import monitoring, services
from roamwise.suppliers.base import Coverage
from roamwise.suppliers.catalogue import supplier_catalogue_sync
from roamwise.suppliers.errors import (
    NeedsReconciliation,
    NoCredit,
    SupplierNotFound,
    SupplierRejected,
)
from roamwise.suppliers.esimgo import EsimGo
from roamwise.suppliers.models import Allocation, SupplierPackage, SupplierTopUp, WebhookReceipt
from roamwise.suppliers.selectors import order_supplier
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.esimgo import MB, EsimGoStandin, sign
from roamwise.testing.shopping import buy
from roamwise.usage import selectors as usage

from .conftest import closed_port_url
from .supplying import (
    AIRALO_PACKAGE,
    ESIMACCESS_PACKAGE,
    ESIMGO_BUNDLE,
    assert_supplied_by_esimaccess,
    buy_top_up,
    events,
    ready_emails,
    supplied_by,
    top_up_plan,
    wait_for,
)

pytestmark = pytest.mark.commitment("SIM-01")
WEBHOOK = "/suppliers/webhooks/esimgo/"
BYTES_PER_MB = 1024 * 1024  # ours


def assert_supplied_by_esimgo(order: Any, esimgo: EsimGoStandin) -> Esim:
    esim = Esim.objects.get(order=order)
    allocation = Allocation.objects.get(order=order, supplier="esimgo")
    placed = esimgo.orders[allocation.reference]
    (iccid,) = placed["order"][0]["iccids"]
    profile = esimgo.esims[iccid]
    assert esim.state == EsimState.READY and esim.iccid == iccid
    assert esim.activation_code == f"1${profile['smdpAddress']}${profile['matchingId']}"
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert Fulfilment.objects.get(order=order).status == Fulfilment.Status.DONE
    assert esim.bundles.get().state == Bundle.State.ACTIVE
    assert any(esim.qr_payload in m.body for m in ready_emails())
    assert order_supplier(order_id=order.pk).startswith(f"esimgo (package {ESIMGO_BUNDLE}")
    return esim


def test_a_wrong_api_key_is_refused_and_not_worth_retrying(
    esimgo: EsimGoStandin, settings: Any
) -> None:
    settings.ESIMGO_API_KEY = "wrong"

    with pytest.raises(SupplierRejected) as refused:
        EsimGo.from_settings().packages()

    assert refused.value.detail == "401" and not refused.value.retryable


def test_the_catalogue_is_read_in_our_units_and_imported_with_its_cost(
    esimgo: EsimGoStandin,
) -> None:
    packages = {p.package_id: p for p in EsimGo.from_settings().packages()}

    french = packages[ESIMGO_BUNDLE]
    assert (french.wholesale.amount, french.wholesale.currency) == (Decimal("2.4"), "USD")
    assert (french.data_mb, french.validity_days, french.coverage) == (2000, 15, Coverage.LOCAL)
    assert french.countries == ("FR",) and french.network_generation == "5g"
    regional = packages["esim_5GB_15D_EUR_V2"]
    assert regional.coverage == Coverage.REGIONAL and regional.countries == ("DE", "ES", "FR")
    assert regional.region == "Europe"
    unlimited = packages["esim_UL_7D_JP_V2"]
    assert unlimited.unlimited and unlimited.data_mb == 0 and "Unlimited" in unlimited.fair_use

    summary = supplier_catalogue_sync(supplier_code="esimgo")

    assert len(summary.created) == 20
    imported = SupplierPackage.objects.get(supplier="esimgo", package_id=ESIMGO_BUNDLE)
    assert (imported.wholesale_amount, imported.wholesale_currency) == (Decimal("2.4"), "USD")
    assert imported.active is False  # new packages wait for review


def test_refusals_are_typed_and_take_nothing(esimgo: EsimGoStandin) -> None:
    supplier = EsimGo.from_settings()

    with pytest.raises(SupplierNotFound):
        supplier.order(package_id="esim_NOPE", transaction_id="g-missing")
    esimgo.balance = 0
    with pytest.raises(NoCredit):
        supplier.order(package_id=ESIMGO_BUNDLE, transaction_id="g-credit")

    assert esimgo.orders == {}
    assert supplier.balance().amount == 0


@pytest.mark.commitment("SIM-02")
def test_a_plan_supplied_by_esimgo_is_bought_and_topped_up_there(
    shop: str, esimgo: EsimGoStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    supplied_by(plan, ("esimgo", ESIMGO_BUNDLE))

    order = buy(buyer, plan, jobs)

    esim = assert_supplied_by_esimgo(order, esimgo)
    order.refresh_from_db()
    assert (order.supplier, order.cost_amount, order.cost_currency) == (
        "esimgo",
        Decimal("2.4"),
        "USD",
    )
    # A top-up is a bundle ordered onto the eSIM by its ICCID.
    extra = top_up_plan("esimgo", "esim_4GB_7D_IT_V2")
    topup = buy_top_up(buyer, esim, extra, jobs)
    topup.refresh_from_db()
    assert topup.status == OrderStatus.FULFILLED
    assert SupplierTopUp.objects.get(order=topup).status == "done"
    names = [group["name"] for group in esimgo.esims[esim.iccid]["bundles"]]
    assert names == [ESIMGO_BUNDLE, "esim_4GB_7D_IT_V2"]
    assert len(esimgo.esims) == 1  # no second eSIM
    assert any(n.startswith("top-up added at esimgo") for n in events(topup))


def test_an_order_whose_assignment_takes_time_is_polled_until_ready(
    esimgo: EsimGoStandin,
) -> None:
    esimgo.assignment_delay = 3600
    allocation = services.allocation_place(
        supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-slow"
    )
    assert allocation.status == "pending" and allocation.reference

    for group in esimgo.esims[next(iter(esimgo.esims))]["bundles"]:
        for assignment in group["assignments"]:
            assignment["_ready_at"] = 0
    services.allocation_refresh(allocation_id=allocation.pk)

    allocation.refresh_from_db()
    assert allocation.status == "ready" and allocation.iccid in esimgo.esims


def test_a_lost_answer_is_found_among_our_orders_not_ordered_twice(
    esimgo: EsimGoStandin,
) -> None:
    # One order of ours with its answer, then one whose answer was lost.
    known = services.allocation_place(
        supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-known"
    )
    Allocation.objects.create(supplier="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-lost")
    placed = EsimGo.from_settings().order(package_id=ESIMGO_BUNDLE, transaction_id="g-lost")
    with pytest.raises(NeedsReconciliation):  # its call may still be in flight
        services.allocation_place(
            supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-lost"
        )
    Allocation.objects.update(created_at=timezone.now() - timedelta(minutes=2))

    found = services.allocation_place(
        supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-lost"
    )

    assert len(esimgo.orders) == 2
    assert placed.install is not None
    assert (found.status, found.reference, found.iccid) == (
        "ready",
        placed.reference,
        placed.install.iccid,
    )
    assert found.reference != known.reference


def test_a_lost_order_waits_while_another_of_its_bundle_may_still_answer(
    esimgo: EsimGoStandin,
) -> None:
    Allocation.objects.create(supplier="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-a")
    Allocation.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    Allocation.objects.create(supplier="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-b")

    with pytest.raises(NeedsReconciliation):
        services.allocation_place(
            supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-a"
        )

    assert esimgo.orders == {}


def test_a_lost_order_it_never_received_is_sent_once_more(esimgo: EsimGoStandin) -> None:
    Allocation.objects.create(supplier="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-2")
    Allocation.objects.update(created_at=timezone.now() - timedelta(minutes=2))

    sent = services.allocation_place(
        supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-2"
    )
    again = services.allocation_place(
        supplier_code="esimgo", package_id=ESIMGO_BUNDLE, transaction_id="g-2"
    )

    (placed,) = esimgo.orders.values()
    assert sent.status == again.status == "ready"
    assert again.reference == placed["orderReference"]


@pytest.mark.commitment("SIM-03")
def test_usage_by_polling_and_signed_callbacks_feeds_the_balance(
    shop: str, esimgo: EsimGoStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esimgo.webhook_url = f"{shop}{WEBHOOK}"
    Plan.objects.filter(pk=plan.pk).update(data_mb=2048)
    supplied_by(plan, ("esimgo", ESIMGO_BUNDLE))
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))

    esimgo.use_data(esim.iccid, 500 * MB)  # crosses 1 %: a signed callback
    wait_for(lambda: WebhookReceipt.objects.filter(supplier="esimgo").exists())
    jobs()
    assert usage.esim_balance(esim=esim).used_bytes == 500 * BYTES_PER_MB

    # Polled once its interval is over.
    esimgo.use_data(esim.iccid, 100 * MB)
    Allocation.objects.filter(supplier="esimgo").update(usage_poll_after=None)
    assert monitoring.usage_poll() == {"esimgo": 1}
    assert usage.esim_balance(esim=esim).used_bytes == 600 * BYTES_PER_MB

    # Forged, unsigned or malformed: 400 and nothing recorded.
    body, headers = esimgo.outbox[0]
    forged = buyer.post(
        WEBHOOK,
        body.replace(b"Utilisation", b"FirstUse"),
        content_type="application/json",
        headers=headers,
    )
    unsigned = buyer.post(WEBHOOK, body, content_type="application/json")
    garbled = b'{"iccid": "1"}'
    malformed = buyer.post(
        WEBHOOK,
        garbled,
        content_type="application/json",
        headers={"X-Signature-SHA256": sign(esimgo.api_key, garbled)},
    )
    unknown = json.dumps({**json.loads(body), "iccid": "8944000000000000000"}).encode()
    stranger = buyer.post(
        WEBHOOK,
        unknown,
        content_type="application/json",
        headers={"X-Signature-SHA256": sign(esimgo.api_key, unknown)},
    )
    again = buyer.post(WEBHOOK, body, content_type="application/json", headers=headers)

    assert [r.status_code for r in (forged, unsigned, malformed)] == [400] * 3
    assert stranger.status_code == 404
    assert again.json()["outcome"] == "duplicate"
    assert WebhookReceipt.objects.filter(supplier="esimgo").count() == 1


def test_when_esimgo_is_down_the_order_goes_to_esimaccess(
    shop: str,
    esimgo: EsimGoStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    settings: Any,
) -> None:
    supplied_by(plan, ("esimgo", ESIMGO_BUNDLE), ("esimaccess", ESIMACCESS_PACKAGE))
    settings.ESIMGO_API_BASE = closed_port_url("/v2.4")
    esimaccess.allocation_delay = 0

    order = buy(buyer, plan, jobs)

    assert_supplied_by_esimaccess(order, esimaccess)
    left = Allocation.objects.get(order=order, supplier="esimgo")
    assert (left.disposition, left.status) == (Allocation.Disposition.ABANDONED, "pending")
    assert esimgo.orders == {}


def test_when_airalo_is_out_of_stock_the_order_goes_to_esimgo(
    shop: str,
    airalo: AiraloStandin,
    esimgo: EsimGoStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimgo", ESIMGO_BUNDLE))
    airalo.out_of_stock = True

    order = buy(buyer, plan, jobs)

    assert_supplied_by_esimgo(order, esimgo)
    assert Allocation.objects.get(order=order, supplier="airalo").status == "failed"
    assert airalo.orders == {}

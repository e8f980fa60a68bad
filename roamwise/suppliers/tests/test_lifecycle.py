"""A wholesaler's eSIM after the sale (ADR 0024): paused, resumed, deleted and
topped up at its supplier through the customer's own pages, never over ES2+
or at the network partner; Airalo's asynchronous orders; a lost order answer
looked up before the order is repeated."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim, EsimState, PartnerCall
from roamwise.network.models import NetworkBundle
from roamwise.orders.models import OrderStatus
from roamwise.suppliers import services
from roamwise.suppliers.airalo import Airalo
from roamwise.suppliers.errors import NeedsReconciliation
from roamwise.suppliers.models import Allocation, SupplierTopUp
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import MB, EsimAccessStandin
from roamwise.testing.shopping import buy

from .conftest import WEBHOOK_TOKEN
from .supplying import (
    AIRALO_PACKAGE,
    ESIMACCESS_PACKAGE,
    assert_supplied_by_esimaccess,
    buy_top_up,
    events,
    lost_airalo_top_up,
    supplied_by,
    top_up_plan,
    wait_for,
)

pytestmark = pytest.mark.commitment("SIM-02")


def esimaccess_esim(
    esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> tuple[Esim, dict[str, Any]]:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esimaccess.allocation_delay = 0
    order = buy(buyer, plan, jobs)
    esim = assert_supplied_by_esimaccess(order, esimaccess)
    return esim, esimaccess.esim_of(esim.iccid)


def test_an_esimaccess_esim_is_paused_resumed_and_deleted_at_esimaccess(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esim, profile = esimaccess_esim(esimaccess, buyer, plan, jobs)

    buyer.post(f"/esims/{esim.public_id}/suspend/")
    esim.refresh_from_db()
    assert (esim.state, profile["esimStatus"]) == (EsimState.SUSPENDED, "SUSPENDED")
    # A status notice from before the pause, delivered late, does not undo it.
    late = buyer.post(
        f"/suppliers/webhooks/esimaccess/{WEBHOOK_TOKEN}/",
        {
            "notifyType": "ESIM_STATUS",
            "content": {"iccid": esim.iccid, "esimStatus": "IN_USE", "smdpStatus": "ENABLED"},
        },
        content_type="application/json",
    )
    esim.refresh_from_db()
    assert late.status_code == 200 and esim.state == EsimState.SUSPENDED

    buyer.post(f"/esims/{esim.public_id}/resume/")
    esim.refresh_from_db()
    assert (esim.state, profile["esimStatus"]) == (EsimState.READY, "IN_USE")

    buyer.post(f"/esims/{esim.public_id}/delete/", {"confirm": "yes"})
    esim.refresh_from_db()
    # Not installed yet: cancelled at the supplier, for a refund there.
    assert (esim.state, profile["esimStatus"]) == (EsimState.DELETED, "CANCEL")
    # Never to the network partner, nor over ES2+.
    assert not PartnerCall.objects.filter(esim=esim).exists()
    assert not esim.attempts.exists()


def test_pausing_an_airalo_esim_is_refused_plainly_as_airalo_offers_no_such_call(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE))
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))

    page = buyer.post(f"/esims/{esim.public_id}/suspend/", follow=True).content.decode()

    assert "does not let us pause it" in page
    esim.refresh_from_db()
    assert esim.state == EsimState.READY
    assert not PartnerCall.objects.filter(esim=esim).exists()


def test_a_supplier_that_is_down_leaves_the_esim_as_it_was(
    shop: str,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    settings: Any,
) -> None:
    from .conftest import closed_port_url

    esim, profile = esimaccess_esim(esimaccess, buyer, plan, jobs)
    settings.ESIMACCESS_API_BASE = closed_port_url()

    page = buyer.post(f"/esims/{esim.public_id}/suspend/", follow=True).content.decode()

    assert "not answering just now" in page
    esim.refresh_from_db()
    assert (esim.state, profile["esimStatus"]) == (EsimState.READY, "GOT_RESOURCE")


def test_a_top_up_of_an_esimaccess_esim_is_added_at_esimaccess(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esim, profile = esimaccess_esim(esimaccess, buyer, plan, jobs)
    volume = profile["totalVolume"]
    extra = top_up_plan("esimaccess", "TOPUP_P00001")
    # A plan over ES2+ does not fit this eSIM, whatever its profile type says.
    Plan.objects.filter(destination__code="FR", data_mb=3072).update(profile_type=esim.profile_type)

    topup = buy_top_up(buyer, esim, extra, jobs)

    topup.refresh_from_db()
    assert topup.status == OrderStatus.FULFILLED
    bundle = Bundle.objects.get(order=topup)
    assert (bundle.esim_id, bundle.state, bundle.data_mb) == (esim.pk, "active", 1024)
    assert profile["totalVolume"] == volume + 2 * 1024 * MB  # TOPUP_P00001 adds 2 GB
    at_supplier = SupplierTopUp.objects.get(order=topup)
    assert (at_supplier.status, at_supplier.package_id) == ("done", "TOPUP_P00001")
    assert at_supplier.cost_amount == Decimal("1.1")
    assert not NetworkBundle.objects.exists() and not PartnerCall.objects.exists()
    assert any(n.startswith("top-up added at esimaccess") for n in events(topup))
    form = buyer.get(f"/esims/{esim.public_id}/top-up/").content.decode()
    assert str(Plan.objects.get(destination__code="FR", data_mb=3072).public_id) not in form


def test_a_top_up_refused_for_lack_of_credit_is_refunded(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esim, profile = esimaccess_esim(esimaccess, buyer, plan, jobs)
    volume = profile["totalVolume"]
    extra = top_up_plan("esimaccess", "TOPUP_P00001")
    esimaccess.balance = 0

    topup = buy_top_up(buyer, esim, extra, jobs)

    topup.refresh_from_db()
    assert topup.status == OrderStatus.REFUNDED
    assert topup.refunds.get().status == "succeeded"
    assert Bundle.objects.get(order=topup).state == Bundle.State.CANCELLED
    assert SupplierTopUp.objects.get(order=topup).status == "failed"
    assert profile["totalVolume"] == volume
    assert any("refused the top-up" in n for n in events(topup))


def test_an_airalo_top_up_whose_answer_is_lost_is_not_sent_again(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    from roamwise.orders.tasks import fulfil_order

    topup, _ = lost_airalo_top_up(airalo, buyer, plan, jobs, settings)
    fulfil_order(topup.pk)  # the fulfilment sweep asks again while its call may answer
    jobs()

    topup.refresh_from_db()
    assert topup.status == OrderStatus.PAID
    assert [o for o in airalo.orders.values() if o["type"] == "topup"] == []
    assert any("the sweep asks whether it landed" in n for n in events(topup))


def test_an_airalo_order_placed_asynchronously_arrives_by_its_signed_webhook(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    settings.AIRALO_ASYNC_ORDERS = True
    # Long enough that the purchase is over before the profile is: on a busy
    # machine a checkout and its jobs take a few seconds.
    airalo.async_delay = 5
    supplied_by(plan, ("airalo", AIRALO_PACKAGE))

    order = buy(buyer, plan, jobs)
    allocation = Allocation.objects.get(order=order)
    assert allocation.status == Allocation.Status.PENDING and allocation.reference
    wait_for(lambda: Allocation.objects.get(pk=allocation.pk).status == "ready", seconds=30)
    jobs()

    esim = Esim.objects.get(order=order)
    (placed,) = airalo.orders.values()
    assert esim.state == EsimState.READY and esim.iccid == placed["sims"][0]["iccid"]
    assert placed["description"] == allocation.transaction_id


def test_a_lost_airalo_answer_is_found_by_its_transaction_id_not_ordered_twice(
    airalo: AiraloStandin,
) -> None:
    # The order reached Airalo; its answer did not reach us.
    placed = Airalo.from_settings().order(package_id=AIRALO_PACKAGE, transaction_id="a-lost-1")
    Allocation.objects.create(
        supplier="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-1"
    )
    while_in_flight = pytest.raises(NeedsReconciliation)
    with while_in_flight:
        services.allocation_place(
            supplier_code="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-1"
        )
    Allocation.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    found = services.allocation_place(
        supplier_code="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-1"
    )

    assert len(airalo.orders) == 1
    assert placed.install is not None
    assert (found.status, found.iccid, found.reference) == (
        "ready",
        placed.install.iccid,
        placed.reference,
    )


def test_a_lost_airalo_order_it_never_received_is_sent_once_more(airalo: AiraloStandin) -> None:
    Allocation.objects.create(
        supplier="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-2"
    )
    Allocation.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    sent = services.allocation_place(
        supplier_code="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-2"
    )
    again = services.allocation_place(
        supplier_code="airalo", package_id=AIRALO_PACKAGE, transaction_id="a-lost-2"
    )

    (placed,) = airalo.orders.values()
    assert placed["description"] == "a-lost-2"
    assert sent.status == again.status == "ready" and again.iccid == placed["sims"][0]["iccid"]

"""A paid order supplied by wholesalers through the supplier interface, with
failover between a plan's sources (ADR 0020): the shop, the payment processor
and the wholesalers' stand-ins all over HTTP on loopback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import Profile, User
from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim, EsimState
from roamwise.esims.tests.conftest import fulfilment_held
from roamwise.governance.selectors import disclosures_of
from roamwise.orders.models import Order, OrderStatus
from roamwise.orders.tasks import fulfil_order
from roamwise.payments.services import refund_issue
from roamwise.rights.erasure import ErasureBlocked, erase_subject
from roamwise.suppliers import fulfilment
from roamwise.suppliers.airalo import Airalo
from roamwise.suppliers.esimaccess import EsimAccess
from roamwise.suppliers.models import Allocation, PlanSource, SupplierPackage, WebhookReceipt
from roamwise.suppliers.selectors import order_supplier
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.testing.people import staff_client
from roamwise.testing.shopping import buy
from roamwise.vault.models import DataKey

from .conftest import WEBHOOK_TOKEN, closed_port_url
from .supplying import (
    AIRALO_PACKAGE,
    ESIMACCESS_PACKAGE,
    assert_supplied_by_esimaccess,
    events,
    ready_emails,
    supplied_by,
    wait_for,
)

pytestmark = pytest.mark.commitment("SIM-01")


def test_a_plan_supplied_by_esimaccess_gets_its_esim_by_webhook(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esimaccess.webhook_url = f"{shop}/suppliers/webhooks/esimaccess/{WEBHOOK_TOKEN}/"
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))

    order = buy(buyer, plan, jobs)
    # Ordered, allocated later: nothing to install yet.
    allocation = Allocation.objects.get(order=order)
    assert allocation.status == Allocation.Status.PENDING and allocation.reference
    assert not Esim.objects.filter(order=order).exists()
    esimaccess.allocate_now()  # GOT_RESOURCE, sent to the shop's webhook over HTTP
    wait_for(lambda: WebhookReceipt.objects.exists())
    jobs()

    esim = assert_supplied_by_esimaccess(order, esimaccess)
    # The matching ID is sealed with the customer's key, as over ES2+.
    assert Esim.objects.filter(pk=esim.pk).values_list("matching_id", flat=True).get() != (
        esim.matching_id
    )
    assert len(esimaccess.orders) == 1


def test_a_plan_supplied_by_esimaccess_gets_its_esim_by_polling(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    order = buy(buyer, plan, jobs)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID

    esimaccess.allocate_now()  # its webhook is not delivered anywhere
    fulfil_order(order.pk)  # as the fulfilment sweep asks again while the order is pending
    jobs()

    esim = assert_supplied_by_esimaccess(order, esimaccess)
    assert len(esimaccess.orders) == 1
    # Staff see who supplied it, on the order and on the eSIM.
    staff, _ = staff_client(None, "boss")
    for url in (
        f"/admin/orders/order/{order.pk}/change/",
        f"/admin/esims/esim/{esim.pk}/change/",
    ):
        staff.post(url, {"_audit_reason": "Ticket 7: where is my eSIM from"})
        page = staff.get(url).content.decode()
        assert "esimaccess (package P00001, order B" in page, url
    # And what it cost and earned (ADR 0025).
    order.refresh_from_db()
    page = staff.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "1.1 USD" in page
    assert f"{order.net_amount - Decimal('1.1')} USD" in page


@pytest.mark.commitment("SHR-03")
def test_every_call_about_an_order_is_in_the_disclosure_log(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    order = buy(buyer, plan, jobs)
    esimaccess.allocate_now()
    fulfil_order(order.pk)
    jobs()
    assert_supplied_by_esimaccess(order, esimaccess)
    refund_issue(order=order, amount=order.total, reason="trip cancelled", actor="staff:1")
    jobs()

    about_the_order = [
        path.rpartition("/open/")[2]
        for path in esimaccess.requests_seen
        if not path.endswith(("package/list", "balance/query"))
    ]
    assert {"esim/order", "esim/query", "esim/cancel"} <= set(about_the_order)
    logged = list(
        disclosures_of(subject_id=order.customer.public_id).filter(recipient="esimaccess")
    )
    # One row a call, each saying what it carried, for this order.
    assert len(logged) == len(about_the_order)
    assert {row.reference for row in logged} == {str(order.public_id)}
    assert {row.purpose for row in logged} == {"service"}
    assert {tuple(row.categories) for row in logged} == {
        ("user.behavior.purchase_history",),  # the order and its polls
        ("user.device.sim",),  # ending the refunded eSIM
    }
    # The catalogue read before ordering carries nothing of anyone: not logged.
    assert any(path.endswith("package/list") for path in esimaccess.requests_seen)


@pytest.mark.parametrize("fault", ["down", "out_of_stock"])
def test_when_airalo_fails_the_order_goes_to_esimaccess(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    settings: Any,
    fault: str,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    SupplierPackage.objects.filter(supplier="airalo").update(wholesale_amount=Decimal("2"))
    if fault == "down":
        settings.AIRALO_API_BASE = closed_port_url("/v2")
    else:
        airalo.out_of_stock = True
    esimaccess.allocation_delay = 0

    order = buy(buyer, plan, jobs)

    assert_supplied_by_esimaccess(order, esimaccess)
    assert airalo.orders == {}
    left = Allocation.objects.get(order=order, supplier="airalo")
    assert left.disposition == Allocation.Disposition.ABANDONED
    # Down: the answer is unknown, so the row waits for a late one; refused: failed.
    assert left.status == ("pending" if fault == "down" else "failed")
    (note,) = [n for n in events(order) if n.startswith("airalo")]
    assert "next source" in note
    # Sold expecting Airalo's cost; supplied by eSIM Access at its own.
    order.refresh_from_db()
    assert (order.supplier, order.cost_amount, order.cost_currency) == (
        "esimaccess",
        Decimal("1.1"),
        "USD",
    )
    assert order.margin_amount == order.net_amount - Decimal("1.1")


def test_a_late_airalo_profile_after_failover_is_kept_unassigned_and_recorded(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    settings: Any,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    airalo_api = settings.AIRALO_API_BASE
    settings.AIRALO_API_BASE = closed_port_url("/v2")
    esimaccess.allocation_delay = 0
    order = buy(buyer, plan, jobs)
    esim = assert_supplied_by_esimaccess(order, esimaccess)
    left = Allocation.objects.get(order=order, supplier="airalo")

    # Airalo had the order after all: its answer arrives late, signed, at our webhook.
    settings.AIRALO_API_BASE = airalo_api
    late = Airalo.from_settings()
    late.webhook_url = f"{shop}/suppliers/webhooks/airalo/"
    late.order(package_id=AIRALO_PACKAGE, transaction_id=left.transaction_id)
    wait_for(lambda: WebhookReceipt.objects.filter(supplier="airalo").exists())
    jobs()

    assert Esim.objects.filter(order=order).count() == 1
    assert Esim.objects.get(order=order).iccid == esim.iccid
    left.refresh_from_db()
    assert left.status == Allocation.Status.READY and left.iccid
    assert left.disposition == Allocation.Disposition.KEPT  # Airalo offers no cancel
    assert any("late profile from airalo" in n and "kept" in n for n in events(order))
    (alert,) = [m for m in mail.outbox if "extra eSIM profile" in m.subject]
    assert alert.to == [django_settings.STAFF_ALERT_EMAIL]
    assert len(ready_emails()) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED


def test_a_late_esimaccess_profile_after_failover_is_cancelled_there(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    settings: Any,
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE), ("airalo", AIRALO_PACKAGE))
    esimaccess_api = settings.ESIMACCESS_API_BASE
    settings.ESIMACCESS_API_BASE = closed_port_url()
    order = buy(buyer, plan, jobs)
    esim = Esim.objects.get(order=order)
    (airalo_order,) = airalo.orders.values()
    assert esim.state == EsimState.READY and esim.iccid == airalo_order["sims"][0]["iccid"]
    assert order_supplier(order_id=order.pk).startswith("airalo")
    left = Allocation.objects.get(order=order, supplier="esimaccess")

    # eSIM Access had the order after all: allocated later, told by webhook.
    settings.ESIMACCESS_API_BASE = esimaccess_api
    EsimAccess.from_settings().order(
        package_id=ESIMACCESS_PACKAGE, transaction_id=left.transaction_id
    )
    esimaccess.webhook_url = f"{shop}/suppliers/webhooks/esimaccess/{WEBHOOK_TOKEN}/"
    esimaccess.allocate_now()
    wait_for(lambda: WebhookReceipt.objects.filter(supplier="esimaccess").exists())
    jobs()

    assert Esim.objects.filter(order=order).count() == 1
    left.refresh_from_db()
    assert left.disposition == Allocation.Disposition.CANCELLED
    (extra,) = esimaccess.orders.values()
    assert extra.esim is not None and extra.esim["esimStatus"] == "CANCEL"
    assert any("late profile from esimaccess" in n and "cancelled" in n for n in events(order))
    assert not [m for m in mail.outbox if "extra eSIM profile" in m.subject]


def test_when_every_source_fails_the_order_fails_and_is_refunded(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    airalo.out_of_stock = True
    esimaccess.balance = 0  # out of credit

    order = buy(buyer, plan, jobs)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunds.get().status == "succeeded"
    assert Esim.objects.get(order=order).state == EsimState.FAILED
    assert any("full refund" in m.subject for m in mail.outbox)
    assert not ready_emails()
    assert airalo.orders == {} and esimaccess.orders == {}
    assert set(Allocation.objects.filter(order=order).values_list("status", flat=True)) == {
        "failed"
    }
    assert order_supplier(order_id=order.pk) == ""


def test_a_supplier_that_accepts_but_never_allocates_is_left_for_the_next(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE), ("airalo", AIRALO_PACKAGE))
    order = buy(buyer, plan, jobs)
    fulfil_order(order.pk)
    jobs()
    assert not Esim.objects.filter(order=order).exists()  # still waiting: within the wait

    Allocation.objects.filter(order=order).update(
        created_at=timezone.now() - fulfilment.ALLOCATION_WAIT - timedelta(seconds=1)
    )
    fulfil_order(order.pk)
    jobs()

    (airalo_order,) = airalo.orders.values()
    assert Esim.objects.get(order=order).iccid == airalo_order["sims"][0]["iccid"]
    left = Allocation.objects.get(order=order, supplier="esimaccess")
    assert (left.status, left.disposition) == ("pending", "abandoned")
    assert any(n.startswith("esimaccess did not answer (no profile after") for n in events(order))


def test_an_order_call_in_flight_is_not_taken_for_a_lost_one(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    supplied_by(plan, ("airalo", AIRALO_PACKAGE), ("esimaccess", ESIMACCESS_PACKAGE))
    esimaccess.allocation_delay = 0
    with fulfilment_held():
        order = buy(buyer, plan, jobs)
    source = PlanSource.objects.get(plan=plan, rank=1)
    # Another run of the job has just sent the order to Airalo and waits for its answer.
    Allocation.objects.create(
        supplier="airalo",
        package_id=AIRALO_PACKAGE,
        transaction_id=fulfilment.transaction_id_for(order=order, source=source),
        order=order,
        source=source,
    )

    waiting = fulfilment.esim_order_fulfil(order.pk)

    assert "in flight" in waiting
    assert airalo.orders == {} and esimaccess.orders == {}
    assert not Esim.objects.filter(order=order).exists()
    # Past the longest a call can take, its answer is lost: Airalo has no
    # idempotency key, so the order is looked up by its transaction id first;
    # Airalo never got it, so it is sent once more, and only once.
    Allocation.objects.filter(supplier="airalo").update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert fulfilment.esim_order_fulfil(order.pk) == "ready"
    jobs()  # the install email
    (placed,) = airalo.orders.values()
    assert placed["description"] == fulfilment.transaction_id_for(order=order, source=source)
    assert Esim.objects.get(order=order).iccid == placed["sims"][0]["iccid"]
    assert esimaccess.orders == {}


@pytest.mark.commitment("SIM-02")
def test_refunding_a_wholesaler_esim_not_yet_installed_cancels_it_there(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esimaccess.allocation_delay = 0
    order = buy(buyer, plan, jobs)
    esim = assert_supplied_by_esimaccess(order, esimaccess)

    refund_issue(order=order, amount=order.total, reason="trip cancelled", actor="staff:1")
    jobs()

    order.refresh_from_db()
    esim.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert esim.state == EsimState.DELETED and esim.events.last().actor == "refund"  # type: ignore[union-attr]
    (bought,) = esimaccess.orders.values()
    assert bought.esim is not None and bought.esim["esimStatus"] == "CANCEL"
    assert any(n.startswith("eSIM ended at esimaccess") for n in events(order))


@pytest.mark.commitment("RGT-03")
def test_erasing_a_customer_ends_their_wholesaler_esim_at_the_supplier(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any, alice: User
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esimaccess.allocation_delay = 0
    order = buy(buyer, plan, jobs)
    esim = assert_supplied_by_esimaccess(order, esimaccess)

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.recipients_told["esims.Esim"] == 1
    esim.refresh_from_db()
    assert esim.state == EsimState.DELETED
    (bought,) = esimaccess.orders.values()
    assert bought.esim is not None and bought.esim["esimStatus"] == "CANCEL"
    assert not Profile.objects.filter(user=alice).exists()


@pytest.mark.commitment("RGT-03")
def test_a_supplier_that_cannot_be_reached_blocks_erasure_with_nothing_erased(
    shop: str,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
    alice: User,
    settings: Any,
) -> None:
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esimaccess.allocation_delay = 0
    order = buy(buyer, plan, jobs)
    esim = assert_supplied_by_esimaccess(order, esimaccess)
    settings.ESIMACCESS_API_BASE = closed_port_url()

    with pytest.raises(ErasureBlocked, match="esimaccess did not end it"):
        erase_subject(user=alice, reason="Erasure request")

    esim.refresh_from_db()
    assert esim.state == EsimState.READY and esim.iccid
    (bought,) = esimaccess.orders.values()
    assert bought.esim is not None and bought.esim["esimStatus"] != "CANCEL"
    assert Profile.objects.filter(user=alice).exists()
    assert DataKey.objects.filter(subject_id=alice.public_id).exists()


def test_a_plan_without_sources_is_supplied_over_es2plus(plan: Plan) -> None:
    from roamwise.suppliers.fulfilment import plan_sources

    (source,) = plan_sources(plan)

    assert source.is_es2plus and source.profile_type == plan.profile_type

"""What the supplier tests share: the stand-ins' packages, a plan's sources,
what a supplied order leaves behind, and top-ups bought through the pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.orders.models import Fulfilment, Order, OrderEvent, OrderStatus
from roamwise.suppliers.models import Allocation, PlanSource, SupplierPackage
from roamwise.suppliers.selectors import order_supplier
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.testing.shopping import BILLING_FORM, buy, pay

AIRALO_PACKAGE = "fr-1-2gb-15days"  # the Airalo stand-in's French package
ESIMACCESS_PACKAGE = "P00001"  # the eSIM Access stand-in's French package
ESIMGO_BUNDLE = "esim_2GB_15D_FR_V2"  # the eSIM Go stand-in's French bundle


def supplied_by(plan: Plan, *packages: tuple[str, str]) -> None:
    """The plan's sources, preferred first, as staff set them."""
    now = timezone.now()
    for rank, (supplier, package_id) in enumerate(packages, 1):
        package = SupplierPackage.objects.create(
            supplier=supplier,
            package_id=package_id,
            coverage=SupplierPackage.Coverage.LOCAL,
            countries=["FR"],
            data_mb=2048,
            validity_days=15,
            wholesale_amount=Decimal("1.1"),
            wholesale_currency="USD",
            active=True,
            plan=plan,
            first_seen=now,
            last_seen=now,
        )
        PlanSource.objects.create(plan=plan, rank=rank, package=package)


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def events(order: Order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).values_list("note", flat=True))


def ready_emails() -> list[Any]:
    return [m for m in mail.outbox if "ready to install" in m.subject]


def assert_supplied_by_esimaccess(order: Order, esimaccess: EsimAccessStandin) -> Esim:
    esim = Esim.objects.get(order=order)
    allocation = Allocation.objects.get(order=order, supplier="esimaccess")
    (profile,) = [o.esim for o in esimaccess.orders.values() if o.order_no == allocation.reference]
    assert profile is not None
    assert esim.state == EsimState.READY
    assert esim.iccid == profile["iccid"]
    assert f"LPA:{esim.activation_code}" == profile["ac"]
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert Fulfilment.objects.get(order=order).status == Fulfilment.Status.DONE
    # The wholesaler's package carries the data: nothing is added at the network.
    assert esim.bundles.get().state == Bundle.State.ACTIVE
    (ready,) = ready_emails()
    assert esim.qr_payload in ready.body
    assert order_supplier(order_id=order.pk).startswith("esimaccess (package P00001")
    return esim


def top_up_plan(supplier: str, package_id: str) -> Plan:
    """A 1 GB French plan that a top-up package of ``supplier`` supplies."""
    extra = Plan.objects.get(destination__code="FR", data_mb=1024)
    now = timezone.now()
    package = SupplierPackage.objects.create(
        supplier=supplier,
        package_id=package_id,
        coverage=SupplierPackage.Coverage.LOCAL,
        countries=["FR"],
        data_mb=1024,
        validity_days=7,
        wholesale_amount=Decimal("2"),
        wholesale_currency="USD",
        top_up=True,
        active=True,
        plan=extra,
        first_seen=now,
        last_seen=now,
    )
    PlanSource.objects.create(plan=extra, rank=1, package=package)
    return extra


def buy_top_up(buyer: Client, esim: Esim, extra: Plan, jobs: Any) -> Order:
    form = buyer.get(f"/esims/{esim.public_id}/top-up/").content.decode()
    assert str(extra.public_id) in form
    # The price the form showed travels with it (ADR 0027).
    response = buyer.post(
        f"/esims/{esim.public_id}/top-up/",
        {
            "plan": str(extra.public_id),
            f"price-{extra.public_id}": str(extra.price),
            **BILLING_FORM,
        },
    )
    assert response.status_code == 302, response.content.decode()[:300]
    pay(buyer, response["Location"], "4242 4242 4242 4242")
    jobs()
    return Order.objects.get(kind=Order.Kind.TOPUP)


def lost_airalo_top_up(
    airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> tuple[Order, Esim]:
    """A paid top-up of an Airalo eSIM whose call to Airalo got no answer."""
    from .conftest import closed_port_url

    supplied_by(plan, ("airalo", AIRALO_PACKAGE))
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))
    extra = top_up_plan("airalo", "it-3-4gb-7days")
    api = settings.AIRALO_API_BASE
    settings.AIRALO_API_BASE = closed_port_url("/v2")
    topup = buy_top_up(buyer, esim, extra, jobs)
    settings.AIRALO_API_BASE = api
    return topup, esim

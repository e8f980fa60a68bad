"""Every plan knows its cost from its supplier packages; an order records its
supplier, cost and margin at the time of sale; nothing is sold below cost
unless staff allowed it, for a reason, in the audit trail (ADR 0025)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.catalog.models import Plan
from roamwise.catalog.services import BelowCostReasonRequired, plan_below_cost_set
from roamwise.orders.errors import BelowCost
from roamwise.orders.models import Order
from roamwise.orders.services import BillingDetails, order_create
from roamwise.suppliers.base import Money
from roamwise.suppliers.models import SupplierPackage
from roamwise.suppliers.selectors import SourceCost, plan_costs
from roamwise.suppliers.services import plan_sources_set
from roamwise.testing.people import make_customer, staff_client

BILLING = BillingDetails(
    name="Alice Example",
    line1="1 Rue de Rivoli",
    line2="",
    city="Paris",
    postcode="75001",
    country="FR",  # 20 % VAT
    phone="+33612345678",
)


def package(supplier: str, package_id: str, cost: str, currency: str = "USD") -> SupplierPackage:
    now = timezone.now()
    return SupplierPackage.objects.create(
        supplier=supplier,
        package_id=package_id,
        coverage=SupplierPackage.Coverage.LOCAL,
        countries=["FR"],
        data_mb=5120,
        validity_days=30,
        wholesale_amount=Decimal(cost),
        wholesale_currency=currency,
        first_seen=now,
        last_seen=now,
    )


def priced(plan: Plan, price: str) -> Plan:
    Plan.objects.filter(pk=plan.pk).update(price=Decimal(price))
    plan.refresh_from_db()
    return plan


def test_a_plan_knows_the_cost_of_each_source_in_its_currency(plan: Plan) -> None:
    airalo = package("airalo", "fr-5gb", "3.70")
    esimaccess = package("esimaccess", "P00009", "3.10")
    plan_sources_set(plan_id=plan.pk, package_ids=[airalo.pk, esimaccess.pk])

    assert plan_costs(plan_id=plan.pk) == [
        SourceCost("airalo", Money(Decimal("3.70"), "USD")),
        SourceCost("esimaccess", Money(Decimal("3.10"), "USD")),
    ]
    # A plan without sources is supplied over ES2+, whose cost is not known here.
    other = Plan.objects.exclude(pk=plan.pk).first()
    assert other is not None
    assert plan_costs(plan_id=other.pk) == [SourceCost("es2plus", None)]


@pytest.mark.commitment("ORD-01")
def test_an_order_records_supplier_cost_and_margin_at_the_time_of_sale(
    alice: User, plan: Plan
) -> None:
    plan = priced(plan, "12.00")  # 10.00 before French VAT
    plan_sources_set(plan_id=plan.pk, package_ids=[package("airalo", "fr-5gb", "3.70").pk])

    order = order_create(customer=alice, plan=plan, billing=BILLING)

    assert order.net_amount == Decimal("10.00")
    assert (order.supplier, order.cost_amount, order.cost_currency) == (
        "airalo",
        Decimal("3.70"),
        "USD",
    )
    assert order.margin_amount == Decimal("6.30")
    # A later change of cost does not change what the sale recorded.
    SupplierPackage.objects.update(wholesale_amount=Decimal("5"))
    order.refresh_from_db()
    assert order.cost_amount == Decimal("3.70")


def test_a_sale_below_the_cost_of_any_source_is_refused_with_a_clear_message(
    alice: User, plan: Plan
) -> None:
    plan = priced(plan, "6.00")  # 5.00 before VAT
    cheap, dear = package("airalo", "fr-5gb", "3.70"), package("esimaccess", "P00009", "5.20")
    # The failover source would lose money: refused too.
    plan_sources_set(plan_id=plan.pk, package_ids=[cheap.pk, dear.pk])

    with pytest.raises(BelowCost, match="would not cover its cost"):
        order_create(customer=alice, plan=plan, billing=BILLING)
    assert not Order.objects.exists()

    client = Client()
    client.force_login(alice)
    response = client.post(
        "/api/v1/orders",
        json.dumps(
            {
                "plan_id": str(plan.public_id),
                "billing": {
                    "name": "Alice Example",
                    "line1": "1 Rue de Rivoli",
                    "city": "Paris",
                    "postcode": "75001",
                    "country": "FR",
                    "phone": "+33 6 12 34 56 78",
                },
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "would not cover its cost" in response.content.decode()
    assert not Order.objects.exists()


def test_a_cost_in_another_currency_is_not_guessed(alice: User, plan: Plan) -> None:
    plan = priced(plan, "120.00")
    plan_sources_set(plan_id=plan.pk, package_ids=[package("airalo", "fr-5gb", "3.70", "EUR").pk])

    with pytest.raises(BelowCost):
        order_create(customer=alice, plan=plan, billing=BILLING)

    plan_below_cost_set(plan=plan, allowed=True, reason="Priced by hand in EUR", actor=alice)
    order = order_create(customer=alice, plan=plan, billing=BILLING)
    assert (order.cost_amount, order.cost_currency, order.margin_amount) == (
        Decimal("3.70"),
        "EUR",
        None,
    )


@pytest.mark.commitment("ORD-01")
def test_a_deliberate_sale_below_cost_needs_a_reason_in_the_audit_trail(plan: Plan) -> None:
    plan = priced(plan, "3.60")  # 3.00 before VAT
    plan_sources_set(plan_id=plan.pk, package_ids=[package("airalo", "fr-5gb", "3.70").pk])
    staff, boss = staff_client(None, "boss")
    buyer = make_customer("bea")

    with pytest.raises(BelowCostReasonRequired):
        plan_below_cost_set(plan=plan, allowed=True, reason="  ", actor=boss)
    plan.refresh_from_db()
    assert not plan.sell_below_cost
    assert not AccessEvent.objects.filter(object_type="catalog.Plan").exists()

    # Staff allow it in the back office, with the reason.
    url = f"/admin/catalog/plan/{plan.pk}/change/"
    form = {
        "destination": plan.destination_id,
        "name": plan.name,
        "data_mb": plan.data_mb,
        "validity_days": plan.validity_days,
        "price": "3.60",
        "currency": "USD",
        "profile_type": plan.profile_type,
        "is_active": "on",
        "network_generation": plan.network_generation,
        "hotspot_allowed": "on",
        "is_data_only": "on",
        "validity_starts": plan.validity_starts,
        "sell_below_cost": "on",
        "below_cost_reason": "",
    }
    page = staff.post(url, form)
    assert page.status_code == 200  # the form again: the reason is missing
    assert "Give the reason" in page.content.decode()
    plan.refresh_from_db()
    assert not plan.sell_below_cost

    answer = staff.post(url, {**form, "below_cost_reason": "Launch offer, one week"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    plan.refresh_from_db()
    assert (plan.sell_below_cost, plan.below_cost_reason) == (True, "Launch offer, one week")
    (event,) = AccessEvent.objects.filter(object_type="catalog.Plan", object_id=str(plan.pk))
    assert event.actor_id == boss.pk
    assert event.reason == "Sale below cost allowed: Launch offer, one week"
    assert event.fields == ["below_cost_reason", "sell_below_cost"]

    order = order_create(customer=buyer, plan=plan, billing=BILLING)
    assert order.margin_amount == Decimal("-0.70")

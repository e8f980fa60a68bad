from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING_API


@pytest.fixture
def api(alice: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(alice)
    return client


@pytest.fixture
def plan(catalog: None) -> Plan:
    return Plan.objects.get(destination__code="FR", data_mb=1024)


def create(client: Client, plan_id: object, key: str = "", **billing: object) -> object:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/orders",
        json.dumps({"plan_id": str(plan_id), "billing": {**BILLING_API, **billing}}),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.commitment("ORD-02")
def test_create_order_with_tax_stated(api: Client, plan: Plan) -> None:
    response = create(api, plan.public_id)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "created"
    assert body["total"] == str(plan.price) and Decimal(body["tax_rate"]) == Decimal("0.2")
    assert Decimal(body["net_amount"]) + Decimal(body["tax_amount"]) == plan.price


def test_retrying_with_the_same_idempotency_key_returns_the_same_order(
    api: Client, plan: Plan
) -> None:
    first = create(api, plan.public_id, key="checkout-123")
    second = create(api, plan.public_id, key="checkout-123")
    other_plan = Plan.objects.get(destination__code="FR", data_mb=3072)
    conflict = create(api, other_plan.public_id, key="checkout-123")

    assert first.json()["id"] == second.json()["id"]
    assert Order.objects.count() == 1
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"


@pytest.mark.commitment("ACC-01")
def test_an_unverified_email_cannot_buy(catalog: None, plan: Plan) -> None:
    unverified = make_customer("newbie", verified=False)
    client = Client()
    client.force_login(unverified)

    response = create(client, plan.public_id)

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "billing,field",
    [
        ({"country": "XX"}, "country"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
        ({"line1": "a\x00b"}, "line1"),
        ({"country": "FRA"}, "country"),
    ],
)
def test_bad_billing_details_are_a_422(api: Client, plan: Plan, billing: dict, field: str) -> None:
    response = create(api, plan.public_id, **billing)

    assert response.status_code == 422
    assert response.json()["code"] in ("invalid_input", "invalid_billing")
    assert not Order.objects.exists()


def test_unknown_plan_is_a_404_and_orders_of_others_are_hidden(
    api: Client, plan: Plan, bob: User
) -> None:
    missing = create(api, "00000000-0000-0000-0000-000000000000")
    order_id = create(api, plan.public_id).json()["id"]
    other = Client()
    other.force_login(bob)

    assert missing.status_code == 404
    assert other.get(f"/api/v1/orders/{order_id}").status_code == 404
    assert other.get("/api/v1/orders").json() == []
    assert api.get("/api/v1/orders").json()[0]["id"] == order_id
    assert Client().get("/api/v1/orders").status_code == 401

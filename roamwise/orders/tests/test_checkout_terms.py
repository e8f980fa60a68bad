"""Checkout: the terms of sale accepted, and the waiver of the right of withdrawal,
recorded on the order with the terms version."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.testing.shopping import BILLING_FORM


@pytest.fixture
def terms(db: None) -> str:
    call_command("policy_load")
    return "2026-12"


def test_checkout_shows_the_terms_in_force_and_the_waiver(
    buyer: Client, plan: Plan, terms: str
) -> None:
    text = buyer.get(f"/checkout/{plan.public_id}/").content.decode()

    assert 'name="terms_version" value="2026-12"' in text
    assert 'href="/terms/"' in text
    assert 'id="id_accept_terms"' in text
    assert "I lose my right of withdrawal once it is delivered" in text


@pytest.mark.parametrize("missing", ["accept_terms", "waive_withdrawal"])
def test_no_order_without_both_boxes_ticked(
    buyer: Client, plan: Plan, terms: str, missing: str
) -> None:
    form = {key: value for key, value in BILLING_FORM.items() if key != missing}

    response = buyer.post(f"/checkout/{plan.public_id}/", form)

    assert response.status_code == 200
    assert missing in response.context["form"].errors
    assert not Order.objects.exists()


def test_the_order_records_the_terms_version_and_the_waiver(
    buyer: Client, plan: Plan, terms: str
) -> None:
    # No processor runs here: the order is made, then payment cannot start.
    buyer.post(f"/checkout/{plan.public_id}/", BILLING_FORM)

    order = Order.objects.get()
    assert order.terms_version == "2026-12"
    assert order.withdrawal_waived_at is not None
    assert abs((order.withdrawal_waived_at - order.created_at).total_seconds()) < 5


def test_terms_changed_while_on_the_page_asks_again(buyer: Client, plan: Plan, terms: str) -> None:
    response = buyer.post(
        f"/checkout/{plan.public_id}/", {**BILLING_FORM, "terms_version": "2025-06"}
    )

    assert response.status_code == 200
    assert "terms_version" in response.context["form"].errors
    assert "version 2026-12" in response.content.decode()
    assert not Order.objects.exists()


def _api_order(client: Client, plan: Plan, **extra: object) -> object:
    billing = {k: v for k, v in BILLING_FORM.items() if k in ("name", "line1", "city", "country")}
    body = {"plan_id": str(plan.public_id), "billing": {**billing, "phone": "+33612345678"}}
    return client.post(
        "/api/v1/orders", json.dumps({**body, **extra}), content_type="application/json"
    )


def test_api_records_the_terms_and_the_waiver(buyer: Client, plan: Plan, terms: str) -> None:
    response = _api_order(buyer, plan, terms_version="2026-12", waive_withdrawal=True)

    assert response.status_code == 201  # type: ignore[attr-defined]
    order = Order.objects.get()
    assert order.terms_version == "2026-12"
    assert order.withdrawal_waived_at is not None


def test_api_refuses_terms_not_in_force(buyer: Client, plan: Plan, terms: str) -> None:
    response = _api_order(buyer, plan, terms_version="2020-01", waive_withdrawal=True)

    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.json()["code"] == "terms_outdated"  # type: ignore[attr-defined]
    assert not Order.objects.exists()

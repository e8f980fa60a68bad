"""Buying in another currency: the customer pays exactly the price shown, the
processor gets it in the currency's own unit (whole yen), and the invoice,
receipt and refunds are in the currency paid (ADR 0027)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase

from roamwise.accounts.models import User
from roamwise.catalog import services as catalog_services
from roamwise.catalog.models import CurrencyRate, Plan
from roamwise.gateway.models import GatewayRefund, GatewaySession
from roamwise.orders.models import Invoice, Order, OrderStatus, Refund
from roamwise.payments.models import Payment
from roamwise.payments.services import refund_issue
from roamwise.testing.shopping import BILLING_API, BILLING_FORM, GOOD_CARD, pay


@pytest.fixture
def rates(catalog: None) -> None:
    CurrencyRate.objects.filter(currency="EUR").update(rate=Decimal("0.92"), rounding="end_99")
    CurrencyRate.objects.filter(currency="JPY").update(rate=Decimal("150"), rounding="whole")
    with TestCase.captureOnCommitCallbacks(execute=True):
        catalog_services.catalog_changed()


@pytest.fixture
def five_dollars(rates: None, plan: Plan) -> Plan:
    Plan.objects.filter(pk=plan.pk).update(price=Decimal("5.00"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        catalog_services.catalog_changed()
    plan.refresh_from_db()
    return plan


def shown(page: str) -> dict[str, str]:
    """What the checkout page shows and posts back: the price and its currency."""
    fields = dict(re.findall(r'name="(currency|shown_total)" value="([^"]*)"', page))
    fields["display"] = re.search(r'<p class="price">([^<]+)</p>', page).group(1)  # type: ignore[union-attr]
    return fields


def checkout_in(client: Client, plan: Plan, currency: str) -> tuple[dict[str, str], object]:
    client.cookies[settings.CURRENCY_COOKIE_NAME] = currency
    page = client.get(f"/checkout/{plan.public_id}/").content.decode()
    quote = shown(page)
    response = client.post(
        f"/checkout/{plan.public_id}/",
        {**BILLING_FORM, "currency": quote["currency"], "shown_total": quote["shown_total"]},
    )
    return quote, response


@pytest.mark.commitment("ORD-04")
@pytest.mark.commitment("ORD-05")
def test_a_yen_order_is_charged_invoiced_and_refunded_in_whole_yen(
    shop: str, jobs: object, buyer: Client, five_dollars: Plan, alice: User
) -> None:
    quote, response = checkout_in(buyer, five_dollars, "JPY")

    # 5.00 USD x 150 = 750 yen, shown without decimals.
    assert quote == {"currency": "JPY", "shown_total": "750", "display": "¥750"}
    assert response.status_code == 302  # type: ignore[attr-defined]
    order = Order.objects.get(customer=alice)
    assert (order.currency, order.total) == ("JPY", Decimal("750"))
    # French VAT in whole yen: 750 / 1.2 = 625 net, 125 VAT.
    assert (order.net_amount, order.tax_amount) == (Decimal("625"), Decimal("125"))
    session = GatewaySession.objects.get()
    assert (session.amount, session.currency) == (Decimal("750"), "JPY")

    pay(buyer, response["Location"], GOOD_CARD)  # type: ignore[index]
    jobs()  # type: ignore[operator]

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).amount == Decimal("750")
    invoice = Invoice.objects.get(order=order)
    assert (invoice.currency, invoice.total, invoice.tax_amount) == (
        "JPY",
        Decimal("750"),
        Decimal("125"),
    )
    page = buyer.get(f"/orders/{order.public_id}/invoice/").content.decode()
    assert "¥750" in page and "¥125" in page and "750.00" not in page
    receipt = next(m for m in mail.outbox if "Receipt" in m.subject)
    assert "Total paid: ¥750" in receipt.body and "JPY" not in receipt.body

    with pytest.raises(Exception, match=r"has no amount like 0\.5"):
        refund_issue(order=order, amount=Decimal("0.5"), reason="half a yen", actor="staff:1")
    refund = refund_issue(order=order, amount=Decimal("750"), reason="trip off", actor="staff:1")

    assert (refund.currency, refund.amount, refund.status) == ("JPY", Decimal("750"), "succeeded")
    assert GatewayRefund.objects.get().amount == Decimal("750")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_the_amount_charged_is_the_amount_shown(
    shop: str, jobs: object, buyer: Client, five_dollars: Plan, alice: User
) -> None:
    quote, response = checkout_in(buyer, five_dollars, "EUR")
    pay(buyer, response["Location"], GOOD_CARD)  # type: ignore[index]
    jobs()  # type: ignore[operator]

    assert quote == {"currency": "EUR", "shown_total": "4.99", "display": "€4.99"}
    order = Order.objects.get(customer=alice)
    charged = GatewaySession.objects.get()
    assert order.status == OrderStatus.PAID
    assert (charged.amount, charged.currency) == (Decimal("4.99"), "EUR")
    assert order.money_total.format() == quote["display"]
    assert Payment.objects.get().amount == order.total == Invoice.objects.get().total
    detail = buyer.get(f"/orders/{order.public_id}/").content.decode()
    assert "€4.99" in detail and "€0.83" in detail  # VAT at 20%, in euros


def test_a_price_changed_since_it_was_shown_is_not_charged(
    buyer: Client, five_dollars: Plan, alice: User
) -> None:
    buyer.cookies[settings.CURRENCY_COOKIE_NAME] = "EUR"
    quote = shown(buyer.get(f"/checkout/{five_dollars.public_id}/").content.decode())
    CurrencyRate.objects.filter(currency="EUR").update(rate=Decimal("1.10"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        catalog_services.catalog_changed()

    again = buyer.post(
        f"/checkout/{five_dollars.public_id}/",
        {**BILLING_FORM, "currency": quote["currency"], "shown_total": quote["shown_total"]},
    )

    assert again.status_code == 200
    page = again.content.decode()
    assert "The price of this plan is now €5.99; check it and confirm again." in page
    assert shown(page)["shown_total"] == "5.99"
    assert not Order.objects.exists()


def test_a_checkout_without_the_price_shown_is_not_charged(
    buyer: Client, five_dollars: Plan
) -> None:
    response = buyer.post(f"/checkout/{five_dollars.public_id}/", BILLING_FORM)

    assert response.status_code == 200
    assert "Check the price and confirm again." in response.content.decode()
    assert not Order.objects.exists()


def api_order(client: Client, plan: Plan, **extra: object) -> object:
    return client.post(
        "/api/v1/orders",
        json.dumps({"plan_id": str(plan.public_id), "billing": BILLING_API, **extra}),
        content_type="application/json",
    )


def test_the_api_orders_in_a_currency_at_the_price_quoted(
    buyer: Client, five_dollars: Plan
) -> None:
    bad = api_order(buyer, five_dollars, currency="XYZ")
    stale = api_order(buyer, five_dollars, currency="JPY", shown_total="700")
    made = api_order(buyer, five_dollars, currency="JPY", shown_total="750")

    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert bad.json()["detail"] == [  # type: ignore[attr-defined]
        {"loc": ["body", "body", "currency"], "msg": "Input should be 'USD', 'EUR', 'GBP' or 'JPY'"}
    ]
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert stale.json()["code"] == "price_changed"  # type: ignore[attr-defined]
    assert made.status_code == 201  # type: ignore[attr-defined]
    body = made.json()  # type: ignore[attr-defined]
    assert (body["currency"], body["total"], body["tax_amount"]) == ("JPY", "750", "125")
    assert body["total_display"] == "¥750"
    assert Order.objects.count() == 1 and not Refund.objects.exists()

"""A promotion on a top-up: the code typed (or an automatic promotion) applies
within its limits as for a new eSIM, with the same invoice line, VAT on the
price paid and refund cap (ADR 0031)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Destination, Plan
from roamwise.esims.models import Esim
from roamwise.esims.services.topups import topup_create
from roamwise.gateway.models import GatewaySession
from roamwise.orders.errors import PriceChanged, RefundNotAllowed
from roamwise.orders.models import Invoice, Order
from roamwise.orders.services import (
    order_await_payment,
    order_create,
    order_mark_paid,
    refund_request,
)
from roamwise.payments.services import refund_issue
from roamwise.promotions.errors import PromotionRefused
from roamwise.promotions.models import Promotion, PromotionUse
from roamwise.testing.factories import PromotionFactory
from roamwise.testing.lines import esim_on_line, iccid
from roamwise.testing.shopping import BILLING, BILLING_API, BILLING_FORM, GOOD_CARD, pay


def paid(order: Order) -> Order:
    order = order_await_payment(order=order)
    with transaction.atomic():
        assert order_mark_paid(order_id=order.pk, actor="webhook:simulated")
    order.refresh_from_db()
    return order


@pytest.fixture
def esim(alice: User, plan: Plan) -> Esim:
    """Alice's French eSIM, paid for: a top-up is never a first purchase."""
    made = esim_on_line(alice, plan, iccid(1))
    paid(made.order)
    return made


@pytest.fixture
def extra(catalog: None) -> Plan:
    """France, 1 GB: a plan that tops up Alice's eSIM."""
    return Plan.objects.get(destination__code="FR", data_mb=1024)


def topup_page(client: Client, esim: Esim, data: dict[str, str] | None = None) -> str:
    url = f"/esims/{esim.public_id}/top-up/"
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def shown_price(page: str, plan: Plan) -> str:
    found = re.search(rf'name="price-{plan.public_id}" value="([^"]*)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.django_db
def test_a_code_takes_its_discount_off_a_top_up_invoiced_and_refunded_as_paid(
    alice: User, esim: Esim, extra: Plan
) -> None:
    promotion = PromotionFactory(
        name="More data", code="MORE", kind=Promotion.Kind.FIXED, amounts={"USD": "2.00"}
    )
    to_pay = extra.price - Decimal("2.00")

    order = paid(
        topup_create(
            customer=alice,
            esim=esim,
            plan=extra,
            billing=BILLING,
            promotion_code=" more ",
            shown_total=to_pay,
        )
    )

    assert order.kind == Order.Kind.TOPUP
    assert (order.price_before_discount, order.discount_amount, order.total) == (
        extra.price,
        Decimal("2.00"),
        to_pay,
    )
    promotion.refresh_from_db()
    assert promotion.uses_count == 1
    assert promotion.uses.get().status == PromotionUse.Status.COUNTED
    # French VAT on the price paid; the discount line is the difference before VAT.
    invoice = Invoice.objects.get(order=order)
    net_paid = (to_pay / Decimal("1.2")).quantize(Decimal("0.01"))
    net_listed = (extra.price / Decimal("1.2")).quantize(Decimal("0.01"))
    assert (invoice.net_amount, invoice.tax_amount, invoice.total) == (
        net_paid,
        to_pay - net_paid,
        to_pay,
    )
    assert (invoice.net_before_discount, invoice.discount_amount) == (
        net_listed,
        net_listed - net_paid,
    )
    assert invoice.discount_label == "More data (MORE)"
    assert invoice.description.startswith("Top-up")
    # Refunds give back what was paid, never the price before the discount.
    assert refund_request(order=order, reason="Not needed").amount == to_pay
    with pytest.raises(RefundNotAllowed, match="At most"):
        refund_issue(order=order, amount=extra.price, reason="x", actor="staff:1")


@pytest.mark.django_db
def test_a_top_up_is_refused_a_code_its_limits_exclude_and_says_why(
    alice: User, esim: Esim, extra: Plan, plan: Plan
) -> None:
    japan = Destination.objects.get(code="JP")
    PromotionFactory(code="JAPAN", destinations=[japan])
    PromotionFactory(code="BIGONLY", plans=[plan])
    PromotionFactory(code="WELCOME", first_purchase_only=True)
    PromotionFactory(code="GONE", ends_at=timezone.now() - timedelta(days=1))
    PromotionFactory(code="SOON", starts_at=timezone.now() + timedelta(days=1))
    # Used once on the eSIM itself, and allowed once per customer.
    PromotionFactory(code="ONCE", max_uses_per_customer=1)
    paid(order_create(customer=alice, plan=plan, billing=BILLING, promotion_code="once"))

    reasons = {}
    for code in ("japan", "bigonly", "welcome", "gone", "soon", "once"):
        with pytest.raises(PromotionRefused) as refused:
            topup_create(
                customer=alice, esim=esim, plan=extra, billing=BILLING, promotion_code=code
            )
        reasons[code] = refused.value.code

    assert reasons == {
        "japan": "promotion_not_for_destination",
        "bigonly": "promotion_not_for_plan",
        "welcome": "promotion_first_purchase_only",
        "gone": "promotion_expired",
        "soon": "promotion_not_yet_valid",
        "once": "promotion_already_used",
    }
    assert not Order.objects.filter(kind=Order.Kind.TOPUP).exists()


@pytest.mark.django_db
def test_a_promotion_for_europe_applies_to_a_french_top_up_until_used_up(
    alice: User, bob: User, esim: Esim, extra: Plan, plan: Plan
) -> None:
    europe = Destination.objects.get(code="europe")
    PromotionFactory(code="EUROPE", destinations=[europe], max_uses=2, max_uses_per_customer=None)
    order_create(customer=bob, plan=plan, billing=BILLING, promotion_code="europe")

    topup = topup_create(
        customer=alice, esim=esim, plan=extra, billing=BILLING, promotion_code="europe"
    )

    assert topup.discount_amount == (extra.price / 10).quantize(Decimal("0.01"))
    with pytest.raises(PromotionRefused, match="used up"):
        topup_create(
            customer=alice, esim=esim, plan=extra, billing=BILLING, promotion_code="europe"
        )


@pytest.mark.django_db
def test_the_top_up_page_shows_and_charges_an_automatic_promotion(
    alice: User, buyer: Client, esim: Esim, extra: Plan
) -> None:
    PromotionFactory(name="Autumn", code="", percent=Decimal("20"))
    to_pay = extra.price - (extra.price / 5).quantize(Decimal("0.01"))

    page = topup_page(buyer, esim)

    assert shown_price(page, extra) == str(to_pay)
    assert "Discount: Autumn" in page
    # The list price posted back is no longer the price: the customer confirms again.
    with pytest.raises(PriceChanged):
        topup_create(
            customer=alice, esim=esim, plan=extra, billing=BILLING, shown_total=extra.price
        )
    order = topup_create(customer=alice, esim=esim, plan=extra, billing=BILLING, shown_total=to_pay)
    assert (order.total, order.promotion_use is not None) == (to_pay, True)


@pytest.mark.django_db
def test_applying_a_code_on_the_top_up_page_prices_the_chosen_plan_with_it(
    buyer: Client, esim: Esim, extra: Plan
) -> None:
    PromotionFactory(code="TOPUP", kind=Promotion.Kind.FIXED, amounts={"USD": "1.00"})
    choice = {"plan": str(extra.public_id), "currency": "USD", "apply_code": "1"}

    applied = topup_page(buyer, esim, {**choice, **BILLING_FORM, "promotion_code": "topup"})
    refused = topup_page(buyer, esim, {**choice, "promotion_code": "NOSUCH"})
    no_plan = topup_page(buyer, esim, {"currency": "USD", "apply_code": "1", "promotion_code": "x"})

    assert "Code TOPUP applied." in applied
    assert shown_price(applied, extra) == str(extra.price - 1)
    assert 'value="topup"' in applied
    assert 'value="Rue de Rivoli' not in applied and "1 Rue de Rivoli" in applied
    assert "There is no such code" in refused
    assert shown_price(refused, extra) == str(extra.price)
    assert "Choose a plan to add." in no_plan
    assert not Order.objects.filter(kind=Order.Kind.TOPUP).exists()


@pytest.mark.django_db
def test_the_api_takes_a_code_for_a_top_up(buyer: Client, esim: Esim, extra: Plan) -> None:
    PromotionFactory(code="JAPAN", destinations=[Destination.objects.get(code="JP")])

    answer = buyer.post(
        f"/api/v1/esims/{esim.public_id}/topups",
        {"plan_id": str(extra.public_id), "billing": BILLING_API, "promotion_code": "japan"},
        content_type="application/json",
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "promotion_not_for_destination"


@pytest.mark.django_db(transaction=True)
def test_a_top_up_bought_with_a_code_on_the_page_is_charged_the_discounted_price(
    shop: str, jobs: object, buyer: Client, alice: User, plan: Plan
) -> None:
    made = esim_on_line(alice, plan, iccid(2))
    paid(made.order)
    extra = Plan.objects.get(destination__code="FR", data_mb=1024)
    PromotionFactory(code="TOPUP", kind=Promotion.Kind.FIXED, amounts={"USD": "1.00"})
    choice = {"plan": str(extra.public_id), "currency": "USD", **BILLING_FORM}
    page = topup_page(buyer, made, {**choice, "apply_code": "1", "promotion_code": "topup"})

    response = buyer.post(
        f"/esims/{made.public_id}/top-up/",
        {
            **choice,
            "promotion_code": "topup",
            f"price-{extra.public_id}": shown_price(page, extra),
        },
    )

    assert response.status_code == 302, response.content.decode()[:300]
    session = GatewaySession.objects.get()
    assert (session.amount, session.currency) == (extra.price - 1, "USD")
    pay(buyer, response["Location"], GOOD_CARD)
    jobs()  # type: ignore[operator]
    topup = Order.objects.get(kind=Order.Kind.TOPUP)
    assert (topup.total, topup.invoice.total) == (extra.price - 1, extra.price - 1)
    assert topup.promotion_use is not None
    assert topup.promotion_use.status == PromotionUse.Status.COUNTED

"""A promotion at checkout, from the code typed to the refund: the price shown
is the price charged, the invoice has the discount line and VAT on the price
paid, a use counts once when paid and is released when the checkout expires,
and the margin counts the discount (ADR 0031)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog import services as catalog_services
from roamwise.catalog.models import CurrencyRate, Plan
from roamwise.core.money import Money
from roamwise.gateway.models import GatewayRefund, GatewaySession
from roamwise.orders import tasks
from roamwise.orders.errors import RefundNotAllowed
from roamwise.orders.models import Invoice, Order, OrderStatus
from roamwise.orders.services import (
    checkout_discount,
    order_await_payment,
    order_create,
    order_mark_paid,
    refund_request,
)
from roamwise.payments.models import Payment
from roamwise.payments.services import refund_issue
from roamwise.promotions.errors import PromotionRefused
from roamwise.promotions.models import Promotion, PromotionUse
from roamwise.promotions.services import promotion_hold, promotion_use_count
from roamwise.suppliers.models import SupplierPackage
from roamwise.suppliers.services import plan_sources_set
from roamwise.testing.factories import PromotionFactory
from roamwise.testing.helpers import pdf_text
from roamwise.testing.shopping import BILLING, BILLING_FORM, GOOD_CARD, pay


@pytest.fixture
def yen(catalog: None, plan: Plan) -> Plan:
    """The French plan at 5.00 USD, 750 yen by the rate table."""
    CurrencyRate.objects.filter(currency="JPY").update(rate=Decimal("150"), rounding="whole")
    Plan.objects.filter(pk=plan.pk).update(price=Decimal("5.00"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        catalog_services.catalog_changed()
    plan.refresh_from_db()
    return plan


def shown(page: str) -> dict[str, str]:
    """What the checkout's order form posts back: currency, price, code."""
    form = page[page.index('name="idempotency_key"') :]
    return dict(re.findall(r'name="(currency|shown_total|promotion_code)" value="([^"]*)"', form))


@pytest.mark.django_db(transaction=True)
def test_a_yen_order_with_a_code_is_charged_invoiced_and_refunded_at_the_discounted_price(
    shop: str, jobs: object, buyer: Client, yen: Plan, alice: User
) -> None:
    promotion = PromotionFactory(
        name="Welcome", code="WELCOME", kind=Promotion.Kind.FIXED, amounts={"JPY": "200"}
    )
    buyer.cookies[settings.CURRENCY_COOKIE_NAME] = "JPY"
    url = f"/checkout/{yen.public_id}/"
    assert shown(buyer.get(url).content.decode())["shown_total"] == "750"

    page = buyer.post(url, {"promotion_code": "welcome", "apply_code": "1", "currency": "JPY"})

    text = page.content.decode()
    assert page.status_code == 200
    assert shown(text) == {"currency": "JPY", "shown_total": "550", "promotion_code": "welcome"}
    assert "¥750" in text and "¥200" in text and "¥550" in text
    response = buyer.post(url, {**BILLING_FORM, **shown(text)})
    assert response.status_code == 302
    order = Order.objects.get(customer=alice)
    # What the processor is asked for is what was shown: 550 whole yen.
    session = GatewaySession.objects.get()
    assert (session.amount, session.currency) == (Decimal("550"), "JPY")
    assert promotion.uses.get().status == PromotionUse.Status.HELD

    pay(buyer, response["Location"], GOOD_CARD)
    jobs()  # type: ignore[operator]

    order.refresh_from_db()
    promotion.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
    assert (order.price_before_discount, order.discount_amount, order.total) == (
        Decimal("750"),
        Decimal("200"),
        Decimal("550"),
    )
    assert Payment.objects.get(order=order).amount == Decimal("550")
    assert promotion.uses_count == 1
    assert promotion.uses.get().status == PromotionUse.Status.COUNTED
    # French VAT on the price paid, in whole yen: 550 / 1.2 = 458 net, 92 VAT;
    # the plan's line is 750 / 1.2 = 625 before VAT, the discount 167 of it.
    invoice = Invoice.objects.get(order=order)
    assert (invoice.net_before_discount, invoice.discount_amount) == (
        Decimal("625"),
        Decimal("167"),
    )
    assert (invoice.net_amount, invoice.tax_amount, invoice.total) == (
        Decimal("458"),
        Decimal("92"),
        Decimal("550"),
    )
    assert invoice.discount_label == "Welcome (WELCOME)"
    html = buyer.get(f"/orders/{order.public_id}/invoice/").content.decode()
    assert "Discount: Welcome (WELCOME)" in html
    assert all(amount in html for amount in ("¥625", "¥167", "¥458", "¥92", "¥550"))
    pdf = pdf_text(buyer.get(f"/orders/{order.public_id}/invoice.pdf").content)
    assert b"Discount: Welcome" in pdf and b"167" in pdf and b"458" in pdf
    receipt = next(m for m in mail.outbox if "Receipt" in m.subject)
    assert "Discount (Welcome (WELCOME)): \N{MINUS SIGN}¥167" in receipt.body
    assert "Total paid: ¥550" in receipt.body

    # A refund gives back at most what was paid, never the price before the discount.
    with pytest.raises(RefundNotAllowed, match="At most ¥550"):
        refund_issue(order=order, amount=Decimal("750"), reason="trip off", actor="staff:1")
    refund = refund_issue(order=order, amount=Decimal("550"), reason="trip off", actor="staff:1")
    assert (refund.amount, refund.status) == (Decimal("550"), "succeeded")
    assert GatewayRefund.objects.get().amount == Decimal("550")


@pytest.mark.django_db
def test_a_code_refused_at_checkout_says_why_and_leaves_the_price(
    buyer: Client, plan: Plan, alice: User
) -> None:
    PromotionFactory(code="OVER", ends_at=timezone.now() - timedelta(days=1), starts_at=None)

    page = buyer.post(
        f"/checkout/{plan.public_id}/",
        {"promotion_code": "over", "apply_code": "1", "currency": "USD"},
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "This code expired on" in text
    assert shown(text) == {"currency": "USD", "shown_total": "13.00", "promotion_code": ""}


@pytest.mark.django_db
def test_trying_codes_at_checkout_answers_429_once_over_the_limit(
    buyer: Client, plan: Plan, settings: object
) -> None:
    settings.PROMOTION_CODE_ATTEMPTS = 2  # type: ignore[attr-defined]
    url = f"/checkout/{plan.public_id}/"
    guesses = [
        buyer.post(url, {"promotion_code": f"GUESS{n}", "apply_code": "1", "currency": "USD"})
        for n in range(3)
    ]

    assert [page.status_code for page in guesses] == [200, 200, 429]
    assert int(guesses[2]["Retry-After"]) > 0
    assert "Too many requests" in guesses[2].content.decode()


@pytest.mark.django_db
def test_the_order_form_charges_the_code_applied_or_refuses_a_changed_price(
    buyer: Client, plan: Plan, alice: User
) -> None:
    PromotionFactory(code="TEN")
    url = f"/checkout/{plan.public_id}/"

    # The full price shown, a code sent with it: the customer confirms the new price.
    stale = buyer.post(
        url, {**BILLING_FORM, "currency": "USD", "shown_total": "13.00", "promotion_code": "TEN"}
    )

    assert stale.status_code == 200 and not Order.objects.exists()
    assert "now $11.70" in stale.content.decode()


@pytest.mark.django_db
def test_a_use_is_counted_once_when_the_order_is_paid(alice: User, plan: Plan) -> None:
    promotion = PromotionFactory(code="ONCE")
    order = order_await_payment(
        order=order_create(customer=alice, plan=plan, billing=BILLING, promotion_code="once")
    )
    assert Promotion.objects.get(pk=promotion.pk).uses_count == 0

    with transaction.atomic():
        assert order_mark_paid(order_id=order.pk, actor="webhook:simulated")
    # The webhook again, and the count asked again: nothing more.
    with transaction.atomic():
        assert not order_mark_paid(order_id=order.pk, actor="webhook:simulated")
    assert order.promotion_use_id is not None
    assert not promotion_use_count(use_id=order.promotion_use_id)

    promotion.refresh_from_db()
    assert promotion.uses_count == 1
    assert promotion.uses.get().status == PromotionUse.Status.COUNTED


@pytest.mark.django_db
def test_the_last_place_is_taken_once_even_by_checkouts_at_the_same_time(
    alice: User, bob: User, plan: Plan
) -> None:
    PromotionFactory(code="LAST", max_uses=1)
    # Both checkouts see the code apply...
    alices = checkout_discount(customer=alice, plan=plan, price=plan.money, code="last")
    bobs = checkout_discount(customer=bob, plan=plan, price=plan.money, code="last")
    assert alices is not None and bobs is not None

    order_create(customer=alice, plan=plan, billing=BILLING, promotion_code="last")
    # ...but the place is taken under the promotion's lock, and only once.
    with pytest.raises(PromotionRefused) as refused, transaction.atomic():
        promotion_hold(discount=bobs, customer=bob)

    assert refused.value.code == "promotion_used_up"
    assert PromotionUse.objects.count() == 1


@pytest.mark.django_db
def test_a_checkout_that_expires_unpaid_releases_its_use(
    alice: User, bob: User, plan: Plan, settings: object
) -> None:
    settings.CHECKOUT_EXPIRY_MINUTES = 60  # type: ignore[attr-defined]
    promotion = PromotionFactory(code="ONE", max_uses=1)
    abandoned = order_create(customer=alice, plan=plan, billing=BILLING, promotion_code="one")
    with pytest.raises(PromotionRefused, match="used up"):
        order_create(customer=bob, plan=plan, billing=BILLING, promotion_code="one")
    Order.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - timedelta(minutes=61))

    assert tasks.checkouts_expire.call_local() == 1

    assert promotion.uses.get().status == PromotionUse.Status.RELEASED
    bobs = order_create(customer=bob, plan=plan, billing=BILLING, promotion_code="one")
    assert bobs.discount_amount == Decimal("1.30")
    # A payment that still arrives for the expired order counts its use: the
    # customer paid the discounted price.
    with transaction.atomic():
        assert order_mark_paid(order_id=abandoned.pk, actor="webhook:simulated")
    assert Promotion.objects.get(pk=promotion.pk).uses_count == 1
    assert PromotionUse.objects.get(order=abandoned).status == PromotionUse.Status.COUNTED


@pytest.mark.django_db
def test_a_refund_request_is_for_what_was_paid(alice: User, plan: Plan) -> None:
    PromotionFactory(code="HALF", percent=Decimal("50"))
    order = order_await_payment(
        order=order_create(customer=alice, plan=plan, billing=BILLING, promotion_code="half")
    )
    with transaction.atomic():
        order_mark_paid(order_id=order.pk, actor="test")
    order.refresh_from_db()

    refund = refund_request(order=order, reason="Trip cancelled")

    assert refund.amount == order.total == Decimal("6.50")


@pytest.mark.django_db
def test_the_margin_recorded_at_sale_counts_the_discount(
    alice: User, bob: User, plan: Plan
) -> None:
    Plan.objects.filter(pk=plan.pk).update(price=Decimal("12.00"))  # 10.00 before French VAT
    plan.refresh_from_db()
    now = timezone.now()
    package = SupplierPackage.objects.create(
        supplier="airalo",
        package_id="fr-5gb",
        coverage=SupplierPackage.Coverage.LOCAL,
        countries=["FR"],
        data_mb=5120,
        validity_days=30,
        wholesale_amount=Decimal("3.70"),
        wholesale_currency="USD",
        first_seen=now,
        last_seen=now,
    )
    plan_sources_set(plan_id=plan.pk, package_ids=[package.pk])
    PromotionFactory(code="TEN")

    full = order_create(customer=alice, plan=plan, billing=BILLING)
    discounted = order_create(customer=bob, plan=plan, billing=BILLING, promotion_code="ten")

    assert full.margin_amount == Decimal("6.30")
    # 10.80 paid, 9.00 before VAT, less the 3.70 cost.
    assert (discounted.net_amount, discounted.margin_amount) == (Decimal("9.00"), Decimal("5.30"))


def test_a_fixed_amount_in_yen_is_whole_yen() -> None:
    from django.core.exceptions import ValidationError

    from roamwise.promotions.models import PromotionAmount

    with pytest.raises(ValidationError, match="no smaller unit than 1"):
        PromotionAmount(currency="JPY", amount=Decimal("100.50")).clean()
    PromotionAmount(currency="JPY", amount=Decimal("100")).clean()
    with pytest.raises(ValidationError, match="sells in"):
        PromotionAmount(currency="CHF", amount=Decimal("1")).clean()
    assert Money(Decimal("100"), "JPY").format("en") == "¥100"

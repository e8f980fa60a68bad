"""Processor events the order cannot hold as they are (ORD-05): a refund past
the order's total, in another currency, or for a payment the shop does not
know. What the processor says is recorded, answered 2xx so that it stops
sending, and staff are told; no signed input makes a 5xx."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.core.signing import signature_header
from roamwise.orders.models import Order, OrderStatus, Refund
from roamwise.orders.services import order_await_payment, order_create
from roamwise.payments.models import Payment, WebhookEvent
from roamwise.payments.tests.fake_stripe import stripe_event, stripe_signature
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING

STRIPE_SECRET = "whsec_test_secret"


def paid_order(processor: str) -> Payment:
    """Given an order paid through ``processor`` (its payment succeeded)."""
    plan = Plan.objects.get(destination__code="JP", data_mb=1024)
    order = order_await_payment(
        order=order_create(customer=make_customer("payer"), plan=plan, billing=BILLING)
    )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    return Payment.objects.create(
        order=order,
        processor=processor,
        processor_ref="cs_test_1",
        payment_ref="pi_test_1",
        amount=order.total,
        currency=order.currency,
        status=Payment.Status.SUCCEEDED,
    )


def simulated_refund(
    refund_id: str, amount: str, *, session: str = "cs_test_1", **refund: object
) -> bytes:
    body = {
        "id": f"evt_{refund_id}",
        "type": "refund.succeeded",
        "created": int(time.time()),
        "data": {
            "session": session,
            "amount": "5.00",
            "currency": "USD",
            "refund": {"id": refund_id, "amount": amount, **refund},
        },
    }
    return json.dumps(body).encode()


def post_simulated(client: Client, body: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/payments/webhooks/simulated/",
        body,
        content_type="application/json",
        headers={"Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)},
    )


def stripe_refund(refund_id: str, amount: object, currency: str = "usd") -> bytes:
    return stripe_event(
        "refund.updated",
        {
            "id": refund_id,
            "object": "refund",
            "status": "succeeded",
            "amount": amount,
            "currency": currency,
            "payment_intent": "pi_test_1",
            "metadata": {},
        },
        event_id=f"evt_{refund_id}",
    )


def post_stripe(client: Client, body: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/payments/webhooks/stripe/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_signature(body, STRIPE_SECRET)},
    )


@pytest.fixture
def stripe_settings(settings: object) -> None:
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET  # type: ignore[attr-defined]
    settings.STRIPE_API_KEY = "sk_test_roamwise"  # type: ignore[attr-defined]


def settle(jobs: object, capture: object) -> None:
    """Run the queued jobs and what they queue after their commit (the alert's
    delivery), as the job consumer would."""
    for _ in range(3):
        with capture(execute=True):  # type: ignore[operator]
            jobs()  # type: ignore[operator]


def staff_alerts() -> list[str]:
    return [f"{m.subject}\n{m.body}" for m in mail.outbox if m.to == [settings.STAFF_ALERT_EMAIL]]


def assert_recorded_past_total(payment: Payment, event_id: str) -> None:
    order = Order.objects.get(pk=payment.order_id)
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, order.total)
    # Both refunds the processor reports are on record, as it reports them.
    refunds = Refund.objects.filter(order=order).order_by("created_at", "pk")
    assert [(r.status, r.amount, r.processor_ref) for r in refunds] == [
        (Refund.Status.SUCCEEDED, order.total, "re_dashboard"),
        (Refund.Status.SUCCEEDED, order.total, "re_duplicate"),
    ]
    assert WebhookEvent.objects.get(event_id=event_id).outcome == "refunded_past_total"
    (alert,) = staff_alerts()
    assert f"Refund discrepancy on order {order.public_id}" in alert
    assert f"{order.total} USD more than was paid went back" in alert


@pytest.mark.commitment("ORD-05")
def test_simulated_a_refund_past_the_total_is_recorded_answered_and_staff_told(
    catalog: None,
    client: Client,
    jobs: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    payment = paid_order("simulated")
    total = str(payment.amount)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = post_simulated(client, simulated_refund("re_dashboard", total))
        second = post_simulated(client, simulated_refund("re_duplicate", total))
        again = post_simulated(client, simulated_refund("re_duplicate", total))
    settle(jobs, django_capture_on_commit_callbacks)

    assert (first.status_code, first.json()["outcome"]) == (200, "refunded")
    assert (second.status_code, second.json()["outcome"]) == (200, "refunded_past_total")
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert_recorded_past_total(payment, "evt_re_duplicate")


@pytest.mark.commitment("ORD-05")
def test_stripe_a_refund_past_the_total_is_recorded_answered_and_staff_told(
    catalog: None,
    client: Client,
    jobs: object,
    stripe_settings: None,
    django_capture_on_commit_callbacks: object,
) -> None:
    payment = paid_order("stripe")
    cents = int(payment.amount * 100)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = post_stripe(client, stripe_refund("re_dashboard", cents))
        second = post_stripe(client, stripe_refund("re_duplicate", cents))
    settle(jobs, django_capture_on_commit_callbacks)

    assert (first.status_code, first.json()["outcome"]) == (200, "refunded")
    assert (second.status_code, second.json()["outcome"]) == (200, "refunded_past_total")
    assert_recorded_past_total(payment, "evt_re_duplicate")


@pytest.mark.commitment("ORD-05")
def test_a_partial_refund_then_a_dashboard_refund_of_the_whole_counts_only_the_rest(
    catalog: None, client: Client, jobs: object, django_capture_on_commit_callbacks: object
) -> None:
    payment = paid_order("simulated")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        post_simulated(client, simulated_refund("re_part", "1.00"))
        whole = post_simulated(client, simulated_refund("re_whole", str(payment.amount)))
    settle(jobs, django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=payment.order_id)
    assert whole.json()["outcome"] == "refunded_past_total"
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, order.total)
    (alert,) = staff_alerts()
    assert "1.00 USD more than was paid went back" in alert


@pytest.mark.parametrize("processor", ["simulated", "stripe"])
def test_a_refund_in_another_currency_is_recorded_not_counted_and_staff_told(
    catalog: None,
    client: Client,
    jobs: object,
    stripe_settings: None,
    django_capture_on_commit_callbacks: object,
    processor: str,
) -> None:
    payment = paid_order(processor)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        if processor == "stripe":
            response = post_stripe(client, stripe_refund("re_eur", 100, currency="eur"))
        else:
            response = post_simulated(client, simulated_refund("re_eur", "1.00", currency="EUR"))
    settle(jobs, django_capture_on_commit_callbacks)

    assert (response.status_code, response.json()["outcome"]) == (
        200,
        "refund_currency_mismatch",
    )
    order = Order.objects.get(pk=payment.order_id)
    assert (order.status, order.refunded_amount) == (OrderStatus.PAID, Decimal("0"))
    assert not Refund.objects.exists()
    assert WebhookEvent.objects.get().outcome == "refund_currency_mismatch"
    (alert,) = staff_alerts()
    assert "refund re_eur of 1" in alert and "EUR, but the payment was in USD" in alert


def test_a_refund_for_an_unknown_payment_is_recorded_and_staff_told(
    catalog: None, client: Client, jobs: object, django_capture_on_commit_callbacks: object
) -> None:
    paid_order("simulated")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = post_simulated(client, simulated_refund("re_x", "3.00", session="cs_nobody"))
    settle(jobs, django_capture_on_commit_callbacks)

    assert (response.status_code, response.json()["outcome"]) == (200, "unknown_payment")
    assert not Refund.objects.exists()
    (alert,) = staff_alerts()
    assert "cs_nobody" in alert and "re_x" in alert


@pytest.mark.parametrize("amount", ["12.345", "ten", "NaN", "1e9999", "-0.001"])
def test_simulated_refund_amounts_that_are_not_money_are_a_400(
    catalog: None, client: Client, amount: str
) -> None:
    payment = paid_order("simulated")

    response = post_simulated(client, simulated_refund("re_bad", amount))

    assert response.status_code == 400
    assert Order.objects.get(pk=payment.order_id).refunded_amount == 0
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("amount", [12.5, "500", True, -1, 10**12])
def test_stripe_refund_amounts_that_are_not_whole_minor_units_are_a_400(
    catalog: None, client: Client, stripe_settings: None, amount: object
) -> None:
    payment = paid_order("stripe")

    response = post_stripe(client, stripe_refund("re_bad", amount))

    assert response.status_code == 400
    assert Order.objects.get(pk=payment.order_id).refunded_amount == 0
    assert not WebhookEvent.objects.exists()

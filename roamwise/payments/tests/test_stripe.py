"""The Stripe adapter against a local server that answers as Stripe does,
with webhooks signed exactly as Stripe signs them."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.orders.models import Fulfilment, Order, OrderStatus
from roamwise.orders.services import order_create
from roamwise.payments.models import Payment
from roamwise.payments.services import payment_start, refund_issue
from roamwise.payments.tests.fake_stripe import FakeStripe, stripe_event, stripe_signature
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_server(settings: object) -> FakeStripe:
    with FakeStripe() as server:
        settings.PAYMENT_GATEWAY = "stripe"  # type: ignore[attr-defined]
        settings.STRIPE_API_KEY = "sk_test_roamwise"  # type: ignore[attr-defined]
        settings.STRIPE_WEBHOOK_SECRET = SECRET  # type: ignore[attr-defined]
        settings.STRIPE_API_BASE = server.url  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def order(catalog: None, db: None) -> Order:
    plan = Plan.objects.get(destination__code="IE", data_mb=10240)
    return order_create(customer=make_customer("eve"), plan=plan, billing=BILLING)


def deliver(client: Client, body: bytes, secret: str = SECRET) -> object:
    return client.post(
        "/payments/webhooks/stripe/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_signature(body, secret)},
    )


@pytest.mark.commitment("ORD-03")
def test_checkout_session_then_signed_webhook_marks_paid(
    stripe_server: FakeStripe, order: Order, client: Client
) -> None:
    url = payment_start(order=order)

    method, path, form, headers = stripe_server.requests[0]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == [str(int(order.total * 100))]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["client_reference_id"] == [str(order.public_id)]
    assert headers["Authorization"] == "Bearer sk_test_roamwise"
    assert "Idempotency-Key" in headers
    assert url.startswith("https://checkout.stripe.test/c/pay/cs_test_")
    payment = Payment.objects.get()

    session = stripe_server.pay(payment.processor_ref)
    body = stripe_event("checkout.session.completed", session)
    first = deliver(client, body)
    again = deliver(client, body)

    assert first.json()["outcome"] == "paid" and again.json()["outcome"] == "duplicate"
    payment.refresh_from_db()
    assert (payment.card_brand, payment.card_last4, payment.card_exp_year) == ("visa", "4242", 2030)
    assert payment.payment_ref == session["payment_intent"]
    assert Order.objects.get().status == OrderStatus.PAID
    assert Fulfilment.objects.count() == 1


def test_stripe_signatures_are_verified_with_stripes_algorithm(
    stripe_server: FakeStripe, order: Order, client: Client
) -> None:
    payment_start(order=order)
    session = stripe_server.pay(Payment.objects.get().processor_ref)
    body = stripe_event("checkout.session.completed", session)

    forged = deliver(client, body, secret="whsec_wrong")
    missing = client.post("/payments/webhooks/stripe/", body, content_type="application/json")

    assert forged.status_code == 400 and missing.status_code == 400
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT


@pytest.mark.commitment("ORD-05")
def test_refund_through_stripe(stripe_server: FakeStripe, order: Order, client: Client) -> None:
    payment_start(order=order)
    session = stripe_server.pay(Payment.objects.get().processor_ref)
    deliver(client, stripe_event("checkout.session.completed", session))

    refund = refund_issue(
        order=Order.objects.get(), amount=order.total, reason="cancelled", actor="staff:1"
    )

    method, path, form, _ = stripe_server.requests[-1]
    assert (method, path) == ("POST", "/v1/refunds")
    assert form["payment_intent"] == [session["payment_intent"]]
    assert form["amount"] == [str(int(order.total * 100))]
    assert refund.status == "succeeded"
    # Stripe then sends refund.updated; it is the same refund, not a second one.
    echoed = deliver(
        client,
        stripe_event(
            "refund.updated",
            {
                "id": refund.processor_ref,
                "object": "refund",
                "status": "succeeded",
                "amount": int(order.total * 100),
                "currency": "usd",
                "payment_intent": session["payment_intent"],
                "metadata": {"refund": str(refund.public_id)},
            },
        ),
    )
    assert echoed.json()["outcome"] == "already_refunded"
    assert Order.objects.get().refunded_amount == order.total


def test_stripe_down_is_a_clear_retryable_error(stripe_server: FakeStripe, order: Order) -> None:
    from roamwise.payments.errors import GatewayUnavailable

    stripe_server.fail_next = 10

    with pytest.raises(GatewayUnavailable):
        payment_start(order=order)
    assert not Payment.objects.exists()

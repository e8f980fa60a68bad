"""What goes wrong with real processors, and how the shop stays right."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.core.signing import signature_header
from roamwise.gateway.models import GatewaySession, WebhookDelivery
from roamwise.orders.errors import RefundNotAllowed
from roamwise.orders.models import Fulfilment, Order, OrderStatus, Refund
from roamwise.orders.services import refund_request
from roamwise.payments.errors import GatewayUnavailable
from roamwise.payments.gateways.simulated import SimulatedGateway
from roamwise.payments.models import Payment
from roamwise.payments.services import payment_start, payments_reconcile, refund_issue
from roamwise.testing.shopping import checkout, pay


def paid_order(buyer: Client, plan: Plan, jobs: object) -> Order:
    pay(buyer, checkout(buyer, plan), "4242424242424242")
    jobs()  # type: ignore[operator]
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    return order


@pytest.mark.commitment("ORD-03")
def test_asking_to_pay_again_reuses_the_open_checkout(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    first = checkout(buyer, plan)
    order = Order.objects.get()

    again = payment_start(order=order)

    assert again == first
    assert Payment.objects.count() == 1 and GatewaySession.objects.count() == 1


@pytest.mark.commitment("ORD-05")
def test_a_refund_whose_answer_is_lost_settles_from_the_webhook(
    shop: str, jobs: object, buyer: Client, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = paid_order(buyer, plan, jobs)
    real_refund = SimulatedGateway.refund

    def refund_then_time_out(self: SimulatedGateway, **kwargs: object) -> object:
        real_refund(self, **kwargs)  # type: ignore[arg-type]
        raise GatewayUnavailable("The payment processor is unavailable; try again.")

    monkeypatch.setattr(SimulatedGateway, "refund", refund_then_time_out)
    with pytest.raises(GatewayUnavailable):
        refund_issue(order=order, amount=order.total, reason="cancelled", actor="staff:1")
    assert Refund.objects.get().status == Refund.Status.PENDING

    jobs()  # type: ignore[operator]  # the processor's refund.succeeded arrives

    order.refresh_from_db()
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, order.total)
    assert GatewaySession.objects.get().refunded_amount == order.total


@pytest.mark.commitment("ORD-05")
def test_a_refund_request_is_granted_once(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    order = paid_order(buyer, plan, jobs)
    requested = refund_request(order=order, reason="trip cancelled")
    # Another member of staff granted it a moment ago (their call is in flight).
    Refund.objects.filter(pk=requested.pk).update(status=Refund.Status.PENDING)

    with pytest.raises(RefundNotAllowed, match="already handled"):
        refund_issue(
            order=order, amount=order.total, reason="ok", actor="staff:2", refund=requested
        )

    assert GatewaySession.objects.get().refunded_amount == 0
    order.refresh_from_db()
    assert order.refunded_amount == 0


@pytest.mark.commitment("RET-07")
def test_a_dispute_before_the_payment_was_seen_still_holds_and_alerts(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    checkout(buyer, plan)
    payment = Payment.objects.get()
    body = json.dumps(
        {
            "id": "evt_dispute",
            "type": "dispute.created",
            "created": int(time.time()),
            "data": {"session": payment.processor_ref, "dispute": {"id": "dp_1"}},
        }
    ).encode()

    response = Client().post(
        "/payments/webhooks/simulated/",
        body,
        content_type="application/json",
        headers={"Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)},
    )
    jobs()  # type: ignore[operator]

    assert response.status_code == 200
    assert Order.objects.get().legal_hold is True
    assert any("Dispute" in m.subject for m in mail.outbox)


@pytest.mark.commitment("ORD-03")
def test_webhooks_that_never_arrive_are_reconciled(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    hosted = checkout(buyer, plan)
    GatewaySession.objects.update(webhook_url="http://127.0.0.1:9/gone")
    pay(buyer, hosted, "4242424242424242")
    WebhookDelivery.objects.all().delete()  # lost for good

    settled = payments_reconcile(older_than=__import__("datetime").timedelta(0))

    assert settled == 1
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().card_last4 == "4242"
    assert Fulfilment.objects.filter(order=order).count() == 1
    assert payments_reconcile(older_than=__import__("datetime").timedelta(0)) == 0


def test_a_fulfilment_whose_job_was_lost_is_requeued(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from roamwise.orders.tasks import fulfilment_sweep

    paid_order(buyer, plan, jobs)
    Fulfilment.objects.update(requested_at=timezone.now() - timedelta(hours=1))

    assert fulfilment_sweep.call_local() == 1
    assert [t.name for t in HUEY.pending()] == ["fulfil_order"]


@pytest.mark.parametrize("header", ["t=1700000000,v1=é", "t=\u00b2,v1=ab", "t=1,v1=" + "x" * 500])
def test_strange_signature_headers_are_a_400(client: Client, db: None, header: str) -> None:
    response = client.post(
        "/payments/webhooks/simulated/",
        b"{}",
        content_type="application/json",
        headers={"Gateway-Signature": header},
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "field,value",
    [
        ("card_number", "4242 4242 4242 424²"),
        ("exp_month", "1²"),
        ("exp_year", "٣٤"),
        ("card_number", "4242-4242-4242-4242x"),
    ],
)
def test_strange_card_input_is_a_400(
    shop: str, jobs: object, buyer: Client, plan: Plan, field: str, value: str
) -> None:
    import re

    hosted = re.sub(r"^https?://[^/]+", "", checkout(buyer, plan))
    form = {
        "card_number": "4242424242424242",
        "exp_month": "12",
        "exp_year": "34",
        "cvc": "123",
        field: value,
    }
    buyer.get(hosted)

    response = buyer.post(hosted, form)

    assert response.status_code == 400
    assert GatewaySession.objects.get().status == "open"


@pytest.mark.parametrize("amount", ["1e20", "0.001", "1E-7", "NaN", "-5"])
def test_the_gateway_refuses_impossible_amounts(
    client: Client, db: None, stand_ins: None, amount: str
) -> None:
    body = {
        "amount": amount,
        "currency": "EUR",
        "description": "x",
        "merchant_reference": "r",
        "success_url": "http://s.example/ok",
        "cancel_url": "http://s.example/no",
        "webhook_url": "http://s.example/hook",
    }

    response = client.post(
        "/gateway/v1/sessions",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {settings.GATEWAY_SECRET_KEY}"},
    )

    assert response.status_code == 400

"""Inbound processor events: signature first, then exactly-once effects."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.core.signing import signature_header
from roamwise.orders.models import Fulfilment, Invoice, Order, OrderEvent, OrderStatus
from roamwise.orders.services import order_await_payment, order_create
from roamwise.payments.models import Payment, WebhookEvent
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING


@pytest.fixture
def awaiting(catalog: None, db: None) -> Payment:
    customer = make_customer("payer")
    plan = Plan.objects.get(destination__code="JP", data_mb=1024)
    order = order_await_payment(order=order_create(customer=customer, plan=plan, billing=BILLING))
    return Payment.objects.create(
        order=order,
        processor="simulated",
        processor_ref="cs_test_1",
        amount=order.total,
        currency=order.currency,
    )


def event(kind: str, session: str = "cs_test_1", event_id: str = "evt_1", **data: object) -> bytes:
    payload = {
        "id": event_id,
        "type": kind,
        "created": int(time.time()),
        "data": {
            "session": session,
            "merchant_reference": "x",
            "amount": "5.00",
            "currency": "USD",
            "failure_code": "",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 1, "exp_year": 2031},
            **data,
        },
    }
    return json.dumps(payload).encode()


def post(client: Client, body: bytes, *, signature: str | None = None) -> object:
    header = (
        signature
        if signature is not None
        else signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)
    )
    return client.post(
        "/payments/webhooks/simulated/",
        body,
        content_type="application/json",
        headers={"Gateway-Signature": header},
    )


def assert_nothing_changed(payment: Payment) -> None:
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.AWAITING_PAYMENT
    assert WebhookEvent.objects.count() == 0
    assert not Invoice.objects.exists() and not Fulfilment.objects.exists()


@pytest.mark.commitment("ORD-03")
@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=123",
        "garbage",
        "t=notanumber,v1=abc",
        "v1=" + "0" * 64,
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(
    client: Client, awaiting: Payment, signature: str
) -> None:
    response = post(client, event("payment.succeeded"), signature=signature)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert_nothing_changed(awaiting)


def test_a_signature_made_with_another_secret_is_refused(client: Client, awaiting: Payment) -> None:
    body = event("payment.succeeded")

    response = post(client, body, signature=signature_header(body, "not-the-secret"))

    assert response.status_code == 400
    assert_nothing_changed(awaiting)


def test_a_tampered_body_is_refused(client: Client, awaiting: Payment) -> None:
    body = event("payment.succeeded")
    header = signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)

    response = post(client, body.replace(b"5.00", b"0.01"), signature=header)

    assert response.status_code == 400
    assert_nothing_changed(awaiting)


def test_a_replay_outside_the_window_is_refused(client: Client, awaiting: Payment) -> None:
    body = event("payment.succeeded")
    old = int(time.time()) - settings.GATEWAY_WEBHOOK_TOLERANCE - 5

    response = post(
        client, body, signature=signature_header(body, settings.GATEWAY_WEBHOOK_SECRET, old)
    )

    assert response.status_code == 400
    assert "replay window" in response.json()["message"]
    assert_nothing_changed(awaiting)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"id": "e", "type": "payment.succeeded"}',
        b"[1, 2]",
        b'{"id": 1, "type": 2, "data": 3}',
    ],
)
def test_malformed_but_signed_bodies_are_a_400(
    client: Client, awaiting: Payment, body: bytes
) -> None:
    response = post(client, body)

    assert response.status_code == 400
    assert_nothing_changed(awaiting)


@pytest.mark.commitment("ORD-03")
def test_duplicates_are_acknowledged_and_applied_once(
    client: Client, awaiting: Payment, django_capture_on_commit_callbacks: object
) -> None:
    body = event("payment.succeeded")

    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        first = post(client, body)
        second = post(client, body)

    assert first.json()["outcome"] == "paid"
    assert second.status_code == 200 and second.json()["outcome"] == "duplicate"
    assert OrderEvent.objects.filter(to_status="paid").count() == 1
    assert Fulfilment.objects.count() == 1 and Invoice.objects.count() == 1
    assert len(callbacks) == 2  # fulfilment and emails, once


def test_events_out_of_order_do_not_undo_a_payment(client: Client, awaiting: Payment) -> None:
    post(client, event("payment.succeeded", event_id="evt_ok"))
    late_processing = post(client, event("payment.processing", event_id="evt_proc"))
    late_failure = post(
        client, event("payment.failed", event_id="evt_fail", failure_code="card_declined")
    )

    assert late_processing.json()["outcome"] == "ignored"
    assert late_failure.json()["outcome"] == "stale"
    awaiting.refresh_from_db()
    assert awaiting.status == Payment.Status.SUCCEEDED
    assert Order.objects.get().status == OrderStatus.PAID


def test_a_failure_keeps_the_order_open_for_another_try(client: Client, awaiting: Payment) -> None:
    response = post(client, event("payment.failed", failure_code="insufficient_funds"))

    assert response.json()["outcome"] == "payment_failed"
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.failure_code) == ("failed", "insufficient_funds")
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT


def test_an_event_for_an_unknown_payment_is_recorded_and_acknowledged(
    client: Client, awaiting: Payment
) -> None:
    response = post(client, event("payment.succeeded", session="cs_nobody"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_payment"
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT


@pytest.mark.commitment("ORD-03")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_mark_paid_once(
    live_server: object, catalog: None, jobs: object
) -> None:
    from huey.contrib.djhuey import HUEY

    customer = make_customer("racer")
    plan = Plan.objects.get(destination__code="JP", data_mb=1024)
    order = order_await_payment(order=order_create(customer=customer, plan=plan, billing=BILLING))
    Payment.objects.create(
        order=order,
        processor="simulated",
        processor_ref="cs_race",
        amount=order.total,
        currency=order.currency,
    )
    body = event("payment.succeeded", session="cs_race", event_id="evt_race")
    header = signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)
    url = f"{live_server.url}/payments/webhooks/simulated/"  # type: ignore[attr-defined]
    start = threading.Barrier(20)
    answers: list[int] = []

    def deliver() -> None:
        start.wait()
        response = requests.post(
            url,
            data=body,
            timeout=30,
            headers={"Gateway-Signature": header, "Content-Type": "application/json"},
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 20
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1
    assert Fulfilment.objects.filter(order=order).count() == 1
    assert WebhookEvent.objects.filter(event_id="evt_race").count() == 1
    queued = [t for t in HUEY.pending() if t.name.endswith("fulfil_order")]
    assert len(queued) == 1, f"{connection.vendor}: {len(queued)} fulfilments queued"


@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_have_no_gaps_under_concurrency(catalog: None) -> None:
    from django.db import connections, transaction

    from roamwise.orders.services import order_mark_paid

    plan = Plan.objects.get(destination__code="JP", data_mb=1024)
    orders = [
        order_await_payment(
            order=order_create(customer=make_customer(f"c{i}"), plan=plan, billing=BILLING)
        )
        for i in range(12)
    ]
    start = threading.Barrier(len(orders))
    errors: list[BaseException] = []

    def pay(order_id: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                order_mark_paid(order_id=order_id, actor="test")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connections

    threads = [threading.Thread(target=pay, args=(o.pk,)) for o in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(orders) + 1))
    assert Decimal(sum(Invoice.objects.values_list("total", flat=True))) == plan.price * len(orders)

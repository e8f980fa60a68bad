"""A purchase end to end: checkout, the simulated processor's hosted page and
signed webhooks, all over real HTTP on loopback."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.gateway.models import GatewaySession, WebhookDelivery
from roamwise.orders.models import Fulfilment, Invoice, Order, OrderEvent, OrderStatus
from roamwise.payments.models import Payment
from roamwise.testing.helpers import rows_containing
from roamwise.testing.shopping import checkout, pay


@pytest.mark.commitment("ORD-02")
@pytest.mark.commitment("ORD-03")
@pytest.mark.commitment("ORD-04")
def test_a_purchase_end_to_end(
    shop: str,
    jobs: object,
    buyer: Client,
    plan: Plan,
    alice: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    hosted = checkout(buyer, plan)
    assert hosted.startswith(f"{shop}/gateway/pay/cs_")
    order = Order.objects.get(customer=alice)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.total == plan.price and order.tax_rate == Decimal("0.20")
    assert order.net_amount + order.tax_amount == order.total

    paid = pay(buyer, hosted, "4242 4242 4242 4242")
    assert paid.status_code == 302
    assert paid["Location"].endswith(f"/orders/{order.public_id}/esim/")
    jobs()  # the processor's webhooks, then our emails and fulfilment request

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.card_brand, payment.card_last4) == ("succeeded", "visa", "4242")
    assert (payment.card_exp_month, payment.card_exp_year) == (12, 2034)
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1
    assert Fulfilment.objects.filter(order=order).count() == 1
    invoice = Invoice.objects.get(order=order)
    assert re.fullmatch(r"RW-\d{4}-\d{6}", invoice.number)
    assert WebhookDelivery.objects.filter(delivered_at__isnull=True).count() == 0
    subjects = sorted(m.subject for m in mail.outbox)
    assert any("Order confirmed" in s for s in subjects)
    receipt = next(m for m in mail.outbox if "Receipt" in m.subject)
    assert receipt.attachments[0][0] == f"{invoice.number}.pdf"
    assert receipt.attachments[0][1][:4] == b"%PDF"

    page = buyer.get(f"/orders/{order.public_id}/").content.decode()
    assert "Visa ending 4242" in page and invoice.number in page
    assert buyer.get(f"/orders/{order.public_id}/invoice.pdf")["Content-Type"] == "application/pdf"

    # ORD-03: the card number reached no table, no log line and no email.
    for needle in ("4242424242424242", "4242 4242 4242 4242"):
        assert rows_containing(needle) == []
        assert needle not in caplog.text
        assert all(needle not in m.body for m in mail.outbox)
    assert GatewaySession.objects.get().card_last4 == "4242"

"""Every test card's outcome, refunds and disputes, through the simulated
processor over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.gateway.models import GatewaySession
from roamwise.governance.models import Disclosure
from roamwise.orders.models import Order, OrderStatus, Refund
from roamwise.orders.services import refund_request
from roamwise.payments.models import Payment
from roamwise.payments.services import refund_issue
from roamwise.testing.shopping import checkout, pay


def buy(buyer: Client, plan: Plan, jobs: object) -> Order:
    hosted = checkout(buyer, plan)
    pay(buyer, hosted, "4242424242424242")
    jobs()  # type: ignore[operator]
    order = Order.objects.latest("created_at")
    assert order.status == OrderStatus.PAID
    return order


@pytest.mark.commitment("ORD-03")
@pytest.mark.parametrize(
    "card,message,failure",
    [
        ("4000000000000002", "Your card was declined.", "card_declined"),
        ("4000000000009995", "Your card has insufficient funds.", "insufficient_funds"),
        ("4000000000000119", "An error occurred while processing your card.", "processing_error"),
    ],
)
def test_failing_cards_leave_the_order_payable(
    shop: str, jobs: object, buyer: Client, plan: Plan, card: str, message: str, failure: str
) -> None:
    hosted = checkout(buyer, plan)

    refused = pay(buyer, hosted, card)
    jobs()  # type: ignore[operator]

    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert card not in refused.content.decode()
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert Payment.objects.get().failure_code == failure
    # The customer tries another card on the same page, and it works.
    pay(buyer, hosted, "5555555555554444")
    jobs()  # type: ignore[operator]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().card_brand == "mastercard"


@pytest.mark.parametrize(
    "card,month,year,cvc,message",
    [
        ("4242424242424241", "12", "34", "123", "The card number is not valid."),
        ("4242424242424242", "01", "20", "123", "The card has expired."),
        ("4242424242424242", "12", "34", "12a", "The security code is not valid."),
        ("4242424242424242", "xx", "34", "123", "Enter the expiry month and year."),
    ],
)
def test_invalid_card_details_are_refused_on_the_hosted_page(
    shop: str,
    jobs: object,
    buyer: Client,
    plan: Plan,
    card: str,
    month: str,
    year: str,
    cvc: str,
    message: str,
) -> None:
    hosted = checkout(buyer, plan)

    refused = pay(buyer, hosted, card, month=month, year=year, cvc=cvc)

    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert GatewaySession.objects.get().status == "open"
    assert jobs() == 0  # type: ignore[operator]


@pytest.mark.commitment("ORD-03")
@pytest.mark.parametrize(
    "decision,status", [("approve", OrderStatus.PAID), ("deny", OrderStatus.AWAITING_PAYMENT)]
)
def test_three_d_secure_challenge(
    shop: str, jobs: object, buyer: Client, plan: Plan, decision: str, status: str
) -> None:
    hosted = checkout(buyer, plan)
    challenged = pay(buyer, hosted, "4000000000003220")
    assert challenged["Location"].endswith("/challenge/")
    assert "Confirm this payment" in buyer.get(challenged["Location"]).content.decode()

    buyer.post(challenged["Location"], {"decision": decision})
    jobs()  # type: ignore[operator]

    assert Order.objects.get().status == status


def test_a_processor_that_is_down_leaves_a_clear_message(
    buyer: Client, plan: Plan, settings: object, jobs: object
) -> None:
    settings.GATEWAY_URL = "http://127.0.0.1:9/gateway"  # type: ignore[attr-defined]

    response = buyer.post(
        f"/checkout/{plan.public_id}/",
        {
            "name": "A",
            "line1": "B",
            "city": "C",
            "postcode": "D",
            "country": "FR",
            "phone": "+33612345678",
            "terms_version": "2026-12",
            "accept_terms": "on",
            "waive_withdrawal": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "The payment processor is unavailable" in response.content.decode()
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT
    assert not Payment.objects.exists()


@pytest.mark.commitment("SHR-03")
def test_each_payment_call_is_in_the_disclosure_log(
    shop: str, jobs: object, buyer: Client, plan: Plan, alice: User
) -> None:
    order = buy(buyer, plan, jobs)

    disclosure = Disclosure.objects.get(subject_id=alice.public_id)
    assert disclosure.recipient == "payment"
    assert disclosure.categories == ["user.behavior.purchase_history"]
    assert disclosure.purpose == "billing"
    assert disclosure.reference == str(order.public_id)


@pytest.mark.commitment("ORD-05")
def test_staff_refund_in_full_and_the_webhook_does_not_count_it_twice(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    order = buy(buyer, plan, jobs)

    refund = refund_issue(order=order, amount=order.total, reason="goodwill", actor="staff:1")
    jobs()  # type: ignore[operator]  # the processor's refund.succeeded webhook

    order.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.processor_ref.startswith("re_")
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, order.total)
    assert GatewaySession.objects.get().refunded_amount == order.total


@pytest.mark.commitment("ORD-05")
def test_partial_refunds_add_up_and_cannot_exceed_the_total(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    from roamwise.orders.errors import RefundNotAllowed

    order = buy(buyer, plan, jobs)

    refund_issue(order=order, amount=Decimal("3.00"), reason="partial", actor="staff:1")
    jobs()  # type: ignore[operator]
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (
        OrderStatus.PARTIALLY_REFUNDED,
        Decimal("3.00"),
    )
    with pytest.raises(RefundNotAllowed):
        refund_issue(order=order, amount=order.total, reason="too much", actor="staff:1")
    refund_issue(order=order, amount=order.total - Decimal("3.00"), reason="rest", actor="staff:1")
    jobs()  # type: ignore[operator]

    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, order.total)
    assert Refund.objects.filter(status="succeeded").count() == 2


@pytest.mark.commitment("ORD-05")
def test_a_customer_asks_for_a_refund_and_staff_grant_it(
    shop: str, jobs: object, buyer: Client, plan: Plan, staff: User
) -> None:
    from roamwise.testing.people import PASSWORD, enable_totp, totp_code

    order = buy(buyer, plan, jobs)
    buyer.post(f"/orders/{order.public_id}/refund/", {"reason": "Trip cancelled"})
    requested = Refund.objects.get()
    assert (requested.status, requested.amount, requested.requested_by) == (
        "requested",
        order.total,
        "customer",
    )
    with pytest.raises(Exception, match="already on its way"):
        refund_request(order=order, reason="again")

    secret = enable_totp(staff)
    admin = Client()
    admin.post("/accounts/login/", {"login": staff.username, "password": PASSWORD})
    admin.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    done = admin.post(
        f"/admin/orders/order/{order.pk}/refund/",
        {"amount": str(order.total), "reason": "Trip cancelled"},
    )
    jobs()  # type: ignore[operator]

    assert done.status_code == 302
    requested.refresh_from_db()
    assert requested.status == Refund.Status.SUCCEEDED
    assert Order.objects.get().status == OrderStatus.REFUNDED


@pytest.mark.commitment("ORD-05")
@pytest.mark.commitment("RET-07")
def test_a_dispute_puts_the_order_on_legal_hold_and_tells_staff(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    order = buy(buyer, plan, jobs)
    session = GatewaySession.objects.get()

    response = requests.post(
        f"{shop}/gateway/v1/sessions/{session.id}/dispute",
        timeout=10,
        headers={"Authorization": f"Bearer {settings.GATEWAY_SECRET_KEY}"},
    )
    jobs()  # type: ignore[operator]

    assert response.status_code == 201
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED and order.legal_hold is True
    alert = next(m for m in mail.outbox if "Dispute" in m.subject)
    assert alert.to == [settings.STAFF_ALERT_EMAIL]


def test_orders_of_others_are_not_found(
    shop: str, jobs: object, buyer: Client, plan: Plan, bob: User
) -> None:
    order = buy(buyer, plan, jobs)
    other = Client()
    other.force_login(bob)

    for path in ("", "invoice/", "invoice.pdf"):
        assert other.get(f"/orders/{order.public_id}/{path}").status_code == 404
    assert other.post(f"/orders/{order.public_id}/refund/").status_code == 404


def test_webhooks_are_retried_until_the_shop_answers(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    from roamwise.gateway.models import WebhookDelivery

    hosted = checkout(buyer, plan)
    session = GatewaySession.objects.get()
    GatewaySession.objects.filter(pk=session.pk).update(webhook_url="http://127.0.0.1:9/down")
    pay(buyer, hosted, "4242424242424242")

    jobs()  # type: ignore[operator]  # every attempt fails: the shop is "down"
    failed = WebhookDelivery.objects.filter(event_type="payment.succeeded").first()
    assert failed is not None and failed.delivered_at is None and failed.attempts >= 2
    assert failed.gave_up_at is not None and "could not be reached" in failed.last_error
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT

    # The shop is back: a new attempt gets through (as the processor's later retries would).
    from roamwise.gateway.tasks import deliver_webhook

    GatewaySession.objects.filter(pk=session.pk).update(
        webhook_url=f"{shop}/payments/webhooks/simulated/"
    )
    WebhookDelivery.objects.filter(pk=failed.pk).update(gave_up_at=None, attempts=0)
    deliver_webhook.call_local(failed.pk)
    jobs()  # type: ignore[operator]

    assert Order.objects.get().status == OrderStatus.PAID

"""After paying, the customer lands on their eSIM (or its progress), the order
links it, the confirmation email points to it, and nothing offers to pay a
paid order again. A refund is asked for in the customer's own words."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim, EsimState
from roamwise.orders.models import Order, OrderStatus, Refund
from roamwise.testing.shopping import checkout, pay


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.commitment("ORD-04")
def test_back_from_paying_the_customer_follows_the_order_to_its_esim(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    paid = pay(buyer, checkout(buyer, plan), "4242424242424242")
    order = Order.objects.get()
    landing = path_of(paid["Location"])
    assert landing == f"/orders/{order.public_id}/esim/"

    # The webhook has not arrived yet: the page says so and refreshes itself,
    # and the order page offers no second payment.
    page = buyer.get(landing).content.decode()
    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT
    assert '<meta http-equiv="refresh"' in page and "confirming your payment" in page
    detail = buyer.get(f"/orders/{order.public_id}/").content.decode()
    assert "Pay now" not in detail and "confirming your payment" in detail

    jobs()  # type: ignore[operator]  # the webhook: paid (fulfilment is held here)
    page = buyer.get(landing).content.decode()
    assert "preparing your eSIM" in page and '<meta http-equiv="refresh"' in page
    detail = buyer.get(f"/orders/{order.public_id}/").content.decode()
    assert "Pay now" not in detail and f'href="{landing}"' in detail

    confirmation = next(m for m in mail.outbox if "Order confirmed" in m.subject)
    assert f"{shop}{landing}" in confirmation.body

    # Once the eSIM exists, the same address opens it, and the order links it.
    esim = Esim.objects.create(customer=order.customer, order=order, profile_type=plan.profile_type)
    response = buyer.get(landing)
    assert response.status_code == 302 and response["Location"] == f"/esims/{esim.public_id}/"
    esim_page = buyer.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh"' in esim_page  # preparing: it refreshes itself
    Esim.objects.filter(pk=esim.pk).update(state=EsimState.READY)
    detail = buyer.get(f"/orders/{order.public_id}/").content.decode()
    assert f'href="/esims/{esim.public_id}/"' in detail


def test_an_unpaid_order_still_offers_to_pay_and_a_failed_payment_to_try_again(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    hosted = checkout(buyer, plan)
    order = Order.objects.get()
    assert "Pay now" in buyer.get(f"/orders/{order.public_id}/").content.decode()
    pay(buyer, hosted, "4000000000000002")  # declined: the processor's page says so
    jobs()  # type: ignore[operator]
    page = buyer.get(f"/orders/{order.public_id}/esim/").content.decode()
    assert "See the order" in page
    assert "Pay now" in buyer.get(f"/orders/{order.public_id}/").content.decode()


@pytest.mark.commitment("ORD-05")
def test_the_refund_reason_is_the_customers_own_words(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    pay(buyer, checkout(buyer, plan), "4242424242424242")
    jobs()  # type: ignore[operator]
    order = Order.objects.get()
    page = buyer.get(f"/orders/{order.public_id}/").content.decode()
    field = re.search(r'<textarea id="refund-reason"[^>]*>([^<]*)</textarea>', page)
    assert field is not None and field.group(1) == ""

    buyer.post(f"/orders/{order.public_id}/refund/", {"reason": "   "})
    assert not Refund.objects.exists()
    buyer.post(f"/orders/{order.public_id}/refund/", {"reason": "My trip moved to March"})
    assert Refund.objects.get().reason == "My trip moved to March"

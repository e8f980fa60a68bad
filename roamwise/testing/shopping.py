"""Buying in tests: the billing details, the checkout in a browser, and an
order already paid.

``BILLING`` is what the services take (``order_create(billing=BILLING)``);
``BILLING_FORM`` is what a customer types into the checkout form, phone
number with spaces and all, with the terms accepted (``TERMS_ACCEPTED``), and
``BILLING_API`` what an app sends to the orders API.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.orders.services import (
    BillingDetails,
    order_await_payment,
    order_create,
    order_mark_paid,
)
from roamwise.payments.models import Payment

BILLING = BillingDetails(
    name="Alice Example",
    line1="1 Rue de Rivoli",
    line2="",
    city="Paris",
    postcode="75001",
    country="FR",
    phone="+33612345678",
)

# The terms in force (none loaded: the setting's label), accepted, and the
# waiver of the right to withdraw once the eSIM is delivered.
TERMS_ACCEPTED = {"terms_version": "2026-12", "accept_terms": "on", "waive_withdrawal": "on"}

ADDRESS_FORM = {
    "name": "Alice Traveller",
    "line1": "1 Rue de Rivoli",
    "line2": "",
    "city": "Paris",
    "postcode": "75001",
    "country": "FR",
    "phone": "+33 6 12 34 56 78",
}
BILLING_FORM = {**ADDRESS_FORM, **TERMS_ACCEPTED}

# The API's body leaves out the optional second line of the address.
BILLING_API = {key: value for key, value in ADDRESS_FORM.items() if key != "line2"}

GOOD_CARD = "4242 4242 4242 4242"


def quote(plan: Plan) -> dict[str, str]:
    """The currency and price the checkout page shows (the plan's own), which
    its form posts back: the order is made for exactly that (ADR 0027)."""
    return {"currency": plan.currency, "shown_total": str(plan.price)}


def checkout(client: Client, plan: Plan, billing: dict[str, str] | None = None) -> str:
    """Post the checkout form for ``plan`` with the price it shows; returns the
    processor's hosted page."""
    response = client.post(
        f"/checkout/{plan.public_id}/", {**quote(plan), **(billing or BILLING_FORM)}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def pay(
    client: Client,
    hosted_url: str,
    card: str,
    *,
    month: str = "12",
    year: str = "34",
    cvc: str = "123",
) -> object:
    """Open the processor's hosted page and submit a card on it."""
    path = re.sub(r"^https?://[^/]+", "", hosted_url)
    client.get(path)
    return client.post(
        path, {"card_number": card, "exp_month": month, "exp_year": year, "cvc": cvc}
    )


def buy(buyer: Client, plan: Plan, jobs: Callable[..., int]) -> Order:
    """Check out and pay with a good card; run the jobs that follow (webhooks,
    provisioning, emails). Returns the order, refreshed."""
    before = set(Order.objects.values_list("pk", flat=True))
    pay(buyer, checkout(buyer, plan), GOOD_CARD)
    jobs()
    return Order.objects.exclude(pk__in=before).get()


def paid_order(
    customer: User,
    plan: Plan,
    *,
    billing: BillingDetails = BILLING,
    processor: str = "simulated",
    processor_ref: str = "",
    currency: str = "",
) -> Order:
    """An order paid by card at ``processor``, as its webhook leaves it: a
    succeeded payment (visa ending 4242), the order paid, its invoice issued
    and its fulfilment requested. The jobs that follow are not run.
    ``currency``: one the plan has a price in (the plan's own by default)."""
    order = order_await_payment(
        order=order_create(customer=customer, plan=plan, billing=billing, currency=currency)
    )
    Payment.objects.create(
        order=order,
        processor=processor,
        processor_ref=processor_ref or f"cs_test_{order.public_id.hex}",
        payment_ref=f"pi_test_{order.public_id.hex}",
        status=Payment.Status.SUCCEEDED,
        amount=order.total,
        currency=order.currency,
        card_brand="visa",
        card_last4="4242",
        card_exp_month=12,
        card_exp_year=2034,
    )
    with transaction.atomic():
        assert order_mark_paid(order_id=order.pk, actor=f"webhook:{processor}")
    order.refresh_from_db()
    return order

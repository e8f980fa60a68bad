"""A customer's orders, on the web and in the API, and the back office's order
list run a fixed number of queries however many orders there are (ADR 0016)."""

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.tests.querycount import Queries, queries
from roamwise.testing.people import make_customer, staff_client
from roamwise.testing.shopping import paid_order

MANY = 6


def plans(count: int) -> list[Plan]:
    found = list(Plan.objects.select_related("destination").order_by("pk")[:count])
    assert len(found) == count
    return found


def read(client: Client, path: str) -> Queries:
    assert client.get(path).status_code == 200  # sessions and the like settle first
    with queries() as found:
        response = client.get(path)
    assert response.status_code == 200
    return found


@pytest.fixture
def shelf(catalog: None) -> list[Plan]:
    return plans(MANY)


# The signed-in customer's request: the session, the user, allauth's session
# record (read, the user again, written in a savepoint: five).
SIGNED_IN = 7
# A page adds the notification bell and the consent state (objections, choices,
# whether a choice was made), and the policy version in force (its change banner).
PAGE = SIGNED_IN + 5


def test_order_list_runs_a_fixed_number_of_queries(
    buyer: Client, alice: User, shelf: list[Plan]
) -> None:
    paid_order(alice, shelf[0])
    one = read(buyer, "/orders/")
    for plan in shelf[1:]:
        paid_order(alice, plan)
    many = read(buyer, "/orders/")

    assert buyer.get("/orders/").content.decode().count("RW-") == MANY
    # The orders with their plans and invoices: one query.
    assert one.counts == many.counts == {"default": PAGE + 1, "vault": 0, "cache": 0}, many


def test_order_list_in_the_api_runs_a_fixed_number_of_queries(
    buyer: Client, alice: User, shelf: list[Plan]
) -> None:
    paid_order(alice, shelf[0])
    one = read(buyer, "/api/v1/orders")
    for plan in shelf[1:]:
        paid_order(alice, plan)
    many = read(buyer, "/api/v1/orders")

    assert all(o["invoice_number"] for o in buyer.get("/api/v1/orders").json())
    assert one.counts == many.counts == {"default": SIGNED_IN + 1, "vault": 0, "cache": 0}, many


def test_back_office_order_list_runs_a_fixed_number_of_queries(shelf: list[Plan]) -> None:
    boss, _ = staff_client(None, "boss")
    paid_order(make_customer("customer0"), shelf[0])
    one = read(boss, "/admin/orders/order/")
    for n, plan in enumerate(shelf[1:], start=1):
        paid_order(make_customer(f"customer{n}"), plan)
    many = read(boss, "/admin/orders/order/")

    # Staff: is MFA on; the list: two counts (filtered, total) and the page
    # of orders with what they show; the bell.
    assert one.counts == many.counts == {"default": SIGNED_IN + 6, "vault": 0, "cache": 0}, many

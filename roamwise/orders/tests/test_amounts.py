"""An order's amounts add up to the cent on every database, SQLite's binary
floating point included (the database checks them)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.orders.services import order_create
from roamwise.testing.shopping import BILLING


@pytest.mark.parametrize(
    "price,country",
    [
        # Net and VAT whose sum is not the total in binary floating point:
        # 4.53 + 0.86 (German 19%), 1.63 + 0.36 (Italian 22%).
        ("5.39", "DE"),
        ("1.99", "IT"),
    ],
)
def test_a_sum_inexact_in_floating_point_is_still_an_order(
    alice: User, plan: Plan, price: str, country: str
) -> None:
    plan.price = Decimal(price)
    plan.save(update_fields=["price"])

    order = order_create(customer=alice, plan=plan, billing=replace(BILLING, country=country))

    stored = Order.objects.get(pk=order.pk)
    assert stored.total == Decimal(price)
    assert stored.net_amount + stored.tax_amount == stored.total

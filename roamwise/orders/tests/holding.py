"""A stand-in fulfiller for tests that stop at payment: the order stays paid
and its fulfilment pending, as if the job had not run yet."""

from __future__ import annotations

HELD = "roamwise.orders.tests.holding.held"


def held(order_id: int) -> str:
    return "held by the test"

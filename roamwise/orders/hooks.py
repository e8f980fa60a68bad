"""What orders calls in the apps above it (``core.upward``, ADR 0021).

The payments app sits above orders: it marks orders paid, holds disputed
ones and refunds them. The checkout, the pay button, the API and the staff
refund reach it here, as the order pages reach the suppliers app for who
supplied an order, and the checkout for what each of a plan's sources
charges (ADR 0025).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.suppliers.selectors import SourceCost

    from .models import Order, Refund

UPWARD = {
    # Opens a session at the processor; returns the address of its hosted page.
    "payment_start": "roamwise.payments.services.payment_start",
    # Refunds all or part of a paid order through its processor (ORD-05).
    "refund_issue": "roamwise.payments.services.refund_issue",
    # The status of the order's latest payment ("pending", "succeeded",
    # "failed"), "" before any: the order page never offers to pay twice.
    "payment_latest_status": "roamwise.payments.services.payment_latest_status",
    # Who supplied the order's eSIM, for staff; "" while nobody has.
    "order_supplier": "roamwise.suppliers.selectors.order_supplier",
    # What each of a plan's sources charges, preferred first: checkout refuses
    # a sale below cost and records the cost and margin (ADR 0025).
    "plan_costs": "roamwise.suppliers.selectors.plan_costs",
}


def payment_start(*, order: Order) -> str:
    url: str = call_up(UPWARD, "payment_start")(order=order)
    return url


def payment_latest_status(*, order: Order) -> str:
    status: str = call_up(UPWARD, "payment_latest_status")(order=order)
    return status


def refund_issue(
    *, order: Order, amount: Decimal, reason: str, actor: str, refund: Refund | None = None
) -> Refund:
    issued: Refund = call_up(UPWARD, "refund_issue")(
        order=order, amount=amount, reason=reason, actor=actor, refund=refund
    )
    return issued


def order_supplier(*, order_id: int) -> str:
    supplier: str = call_up(UPWARD, "order_supplier")(order_id=order_id)
    return supplier


def plan_costs(*, plan_id: int) -> list[SourceCost]:
    costs: list[SourceCost] = call_up(UPWARD, "plan_costs")(plan_id=plan_id)
    return costs

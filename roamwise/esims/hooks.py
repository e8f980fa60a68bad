"""What esims calls in the apps above it (``core.upward``, ADR 0021).

The usage app sits above esims (its records and balances are of eSIMs'
bundles); the eSIM page and API show its balance and chart. The suppliers
app sits above too: staff see which supplier an eSIM came from, and the
page says how fresh a wholesaler's usage figures are.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.safestring import SafeString

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.suppliers.models import Allocation
    from roamwise.usage.selectors import Balance

    from .models import Esim

UPWARD = {
    "esim_balance": "roamwise.usage.selectors.esim_balance",
    "daily_usage": "roamwise.usage.selectors.daily_usage",
    "daily_usage_svg": "roamwise.usage.charts.daily_usage_svg",
    "order_supplier": "roamwise.suppliers.selectors.order_supplier",
    "supplier_usage_read_at": "roamwise.suppliers.selectors.usage_read_at",
    # A wholesaler's eSIM is changed at its supplier, never over ES2+ (ADR 0024).
    "supplied_allocation": "roamwise.suppliers.lifecycle.supplied_allocation",
    "supplied_change": "roamwise.suppliers.lifecycle.supplied_change",
    "topup_plans_filter": "roamwise.suppliers.lifecycle.topup_plans_filter",
    "esim_supplied_delete": "roamwise.suppliers.fulfilment.esim_supplied_delete",
    "topup_at_supplier": "roamwise.suppliers.fulfilment.topup_at_supplier",
}


def esim_balance(*, esim: Esim) -> Balance:
    balance: Balance = call_up(UPWARD, "esim_balance")(esim=esim)
    return balance


def daily_usage(*, esim: Esim) -> list[tuple[dt.date, int]]:
    """Data used per day over the chart's days, oldest first."""
    series: list[tuple[dt.date, int]] = call_up(UPWARD, "daily_usage")(esim=esim)
    return series


def daily_usage_svg(series: list[tuple[dt.date, int]]) -> SafeString:
    chart: SafeString = call_up(UPWARD, "daily_usage_svg")(series)
    return chart


def order_supplier(*, order_id: int) -> str:
    supplier: str = call_up(UPWARD, "order_supplier")(order_id=order_id)
    return supplier


def supplier_usage_read_at(*, order_id: int) -> datetime | None:
    """When the wholesaler that supplied the order's eSIM last reported usage;
    None over ES2+ or before a reading."""
    read_at: datetime | None = call_up(UPWARD, "supplier_usage_read_at")(order_id=order_id)
    return read_at


def supplied_allocation(*, order_id: int) -> Allocation | None:
    """The wholesaler's allocation that is the order's eSIM; None over ES2+."""
    allocation: Allocation | None = call_up(UPWARD, "supplied_allocation")(order_id=order_id)
    return allocation


def supplied_change(*, allocation: Allocation, action: str) -> str:
    """Suspend or resume at the supplier: what went wrong, or "" once done."""
    problem: str = call_up(UPWARD, "supplied_change")(allocation=allocation, action=action)
    return problem


def topup_plans_filter(*, allocation: Allocation) -> Q:
    plans: Q = call_up(UPWARD, "topup_plans_filter")(allocation=allocation)
    return plans


def esim_supplied_delete(*, esim: Esim, actor: str, note: str) -> Esim:
    deleted: Esim = call_up(UPWARD, "esim_supplied_delete")(esim=esim, actor=actor, note=note)
    return deleted


def topup_at_supplier(order_id: int) -> str:
    outcome: str = call_up(UPWARD, "topup_at_supplier")(order_id)
    return outcome

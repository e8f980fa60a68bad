"""What esims calls in the apps above it (``core.upward``, ADR 0021).

The usage app sits above esims (its records and balances are of eSIMs'
bundles); the eSIM page and API show its balance and chart. The suppliers
app sits above too: staff see which supplier an eSIM came from.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.usage.selectors import Balance

    from .models import Esim

UPWARD = {
    "esim_balance": "roamwise.usage.selectors.esim_balance",
    "daily_usage": "roamwise.usage.selectors.daily_usage",
    "daily_usage_svg": "roamwise.usage.charts.daily_usage_svg",
    "order_supplier": "roamwise.suppliers.selectors.order_supplier",
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

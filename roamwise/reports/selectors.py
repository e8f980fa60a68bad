"""The business's numbers, read from its financial records (ORD-05, USE-04).

Sales come from the invoices (one per paid order, issued when it is paid),
refunds from the refunds the processor confirmed, disputes from the orders'
history, conversion from the anonymous daily analytics counts. Every figure
is an aggregate: a count or a sum by period and by one dimension (destination,
plan, supplier, currency, billing country, kind); no row names a customer.
Amounts are never added across currencies: each row has one currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from roamwise.analytics.models import DailyCount
from roamwise.core.money import Money
from roamwise.esims.models import Es2Attempt
from roamwise.esims.selectors import paid_to_qr_seconds
from roamwise.esims.stock import stock_levels, stock_low_at
from roamwise.orders.models import Invoice, Order, OrderEvent, OrderStatus, Refund
from roamwise.suppliers.models import Allocation, SupplierCredit
from roamwise.suppliers.monitoring import NAMES, credit_floor
from roamwise.suppliers.registry import configured_suppliers

PERIODS = ("day", "week", "month")
# What a row may be broken down by, as a path from an order: invoices, refunds
# and disputes all reach theirs through ``order``.
DIMENSIONS: dict[str, str] = {
    "total": "",
    "destination": "plan__destination__name",
    "plan": "plan__name",
    "supplier": "supplier",
    "currency": "currency",
    "country": "billing_country",
    "kind": "kind",
}
FUNNEL_STEPS = ("destination", "plan", "checkout", "paid")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Window:
    """The days reported, both included, and the period rows are grouped by."""

    start: dt.date
    end: dt.date
    period: str = "month"

    @classmethod
    def last(cls, days: int, *, period: str = "day", today: dt.date | None = None) -> Window:
        end = today or timezone.localdate()
        return cls(start=end - dt.timedelta(days=days - 1), end=end, period=period)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The window as aware datetimes: [start 00:00, the day after end 00:00)."""
        zone = timezone.get_current_timezone()
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return first, after

    def within(self, field_name: str) -> Q:
        first, after = self.bounds()
        return Q(**{f"{field_name}__gte": first, f"{field_name}__lt": after})

    def period_of(self, field_name: str) -> Trunc:
        return Trunc(field_name, self.period, output_field=DateField())


@dataclass
class SalesRow:
    period: dt.date
    key: str
    currency: str
    orders: int = 0
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO
    refunds: int = 0
    refunded: Decimal = ZERO
    disputes: int = 0
    disputed: Decimal = ZERO
    # Of the margin recorded at sale: its sum, and the orders whose cost was in
    # another currency (no margin recorded, ADR 0025).
    margin: Decimal = ZERO
    margin_unknown: int = 0

    @property
    def kept(self) -> Decimal:
        """What stayed paid: the invoices less the refunds."""
        return self.gross - self.refunded


# What an invoice carries itself: grouped by these, the sales report reads the
# invoices alone, without joining each one's order (ADR 0033).
INVOICE_FIELDS = {"currency": "currency", "country": "billing_country"}


def _by_period(
    queryset: QuerySet,
    window: Window,
    *,
    when: str,
    by: str,
    currency: str = "order__currency",
    own: dict[str, str] | None = None,
) -> QuerySet:
    """``queryset`` (rows with an ``order``) in the window, as values of its
    period, its ``currency`` and, unless ``by`` is "total", its key: the row's
    own field named in ``own``, or its order's."""
    names: dict[str, Any] = {
        "period": window.period_of(when),
        "in_currency": F(currency),
    }
    if DIMENSIONS[by]:
        own_field = (own or {}).get(by)
        names["key"] = F(own_field or f"order__{DIMENSIONS[by]}")
    fields = ["period", "in_currency", *(["key"] if DIMENSIONS[by] else [])]
    return queryset.filter(window.within(when)).annotate(**names).values(*fields)


def sales(window: Window, *, by: str = "total") -> list[SalesRow]:
    """Invoices, refunds and disputes by period, ``by`` and currency. The
    invoices' sums, margin included, are read from the invoices alone unless
    ``by`` needs their orders (destination, plan, supplier, kind)."""
    rows: dict[tuple[dt.date, str, str], SalesRow] = {}

    def row(values: dict[str, Any]) -> SalesRow:
        index = (values["period"], str(values.get("key") or ""), values["in_currency"])
        if index not in rows:
            rows[index] = SalesRow(period=index[0], key=index[1], currency=index[2])
        return rows[index]

    invoices = _by_period(
        Invoice.objects.all(),
        window,
        when="issued_at",
        by=by,
        currency="currency",
        own=INVOICE_FIELDS,
    )
    for values in invoices.annotate(
        orders=Count("pk"),
        net=Sum("net_amount"),
        vat=Sum("tax_amount"),
        gross=Sum("total"),
        margin=Sum("margin_amount"),
        margin_unknown=Count("pk", filter=Q(margin_amount__isnull=True)),
    ):
        target = row(values)
        target.orders += values["orders"]
        target.net += values["net"] or ZERO
        target.vat += values["vat"] or ZERO
        target.gross += values["gross"] or ZERO
        target.margin += values["margin"] or ZERO
        target.margin_unknown += values["margin_unknown"]

    # A refund counts when the processor confirmed it (its last change).
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
    for values in _by_period(
        refunds, window, when="updated_at", by=by, currency="currency"
    ).annotate(n=Count("pk"), amount=Sum("amount")):
        target = row(values)
        target.refunds += values["n"]
        target.refunded += values["amount"] or ZERO

    disputes = OrderEvent.objects.filter(to_status=OrderStatus.DISPUTED)
    for values in _by_period(disputes, window, when="created_at", by=by).annotate(
        n=Count("pk"), amount=Sum("order__total")
    ):
        target = row(values)
        target.disputes += values["n"]
        target.disputed += values["amount"] or ZERO
    return sorted(rows.values(), key=lambda r: (r.period, r.currency, r.key))


@dataclass
class VatRow:
    country: str
    rate: Decimal
    currency: str
    invoices: int = 0
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO
    refunded: Decimal = ZERO
    refunded_vat: Decimal = ZERO

    @property
    def vat_due(self) -> Decimal:
        """The VAT collected less the VAT of what was refunded."""
        return self.vat - self.refunded_vat


def vat(window: Window) -> list[VatRow]:
    """VAT collected by billing country, rate and currency: what a VAT return
    needs, refunds (credit notes) included."""
    rows: dict[tuple[str, Decimal, str], VatRow] = {}
    invoices = Invoice.objects.filter(window.within("issued_at"))
    for values in invoices.values("billing_country", "tax_rate", "currency").annotate(
        n=Count("pk"), net=Sum("net_amount"), vat=Sum("tax_amount"), gross=Sum("total")
    ):
        index = (values["billing_country"], values["tax_rate"], values["currency"])
        rows[index] = VatRow(
            country=index[0],
            rate=index[1],
            currency=index[2],
            invoices=values["n"],
            net=values["net"] or ZERO,
            vat=values["vat"] or ZERO,
            gross=values["gross"] or ZERO,
        )
    refunds = Refund.objects.filter(window.within("updated_at"), status=Refund.Status.SUCCEEDED)
    for refund in refunds.values("amount", "currency", "order__billing_country", "order__tax_rate"):
        index = (refund["order__billing_country"], refund["order__tax_rate"], refund["currency"])
        target = rows.setdefault(index, VatRow(country=index[0], rate=index[1], currency=index[2]))
        target.refunded += refund["amount"]
        # The VAT share of a refund of a VAT-inclusive price, at the order's rate.
        share = refund["amount"] * index[1] / (1 + index[1])
        target.refunded_vat += Money(share, index[2]).quantized()
    return sorted(rows.values(), key=lambda r: (r.country, r.rate, r.currency))


@dataclass
class CustomersRow:
    period: dt.date
    new_esims: int = 0
    top_ups: int = 0
    customers: int = 0
    # Customers of the period who had bought before it, or bought more than once in it.
    repeat_customers: int = 0


def customers(window: Window) -> list[CustomersRow]:
    """New eSIMs and top-ups sold, and how many buyers came back, by period:
    counts only."""
    invoices = Invoice.objects.filter(window.within("issued_at")).annotate(
        period=window.period_of("issued_at")
    )
    rows: dict[dt.date, CustomersRow] = {}
    for values in invoices.values("period").annotate(
        new=Count("pk", filter=Q(order__kind=Order.Kind.ESIM)),
        top_ups=Count("pk", filter=Q(order__kind=Order.Kind.TOPUP)),
        buyers=Count("order__customer", distinct=True),
    ):
        rows[values["period"]] = CustomersRow(
            period=values["period"],
            new_esims=values["new"],
            top_ups=values["top_ups"],
            customers=values["buyers"],
        )
    for period, buyers in _buyers_by_period(invoices).items():
        rows[period].repeat_customers = sum(
            1
            for customer_id, (count, earliest) in buyers.items()
            if count > 1 or _bought_before(customer_id, earliest)
        )
    return [rows[p] for p in sorted(rows)]


def _buyers_by_period(invoices: QuerySet) -> dict[dt.date, dict[int, tuple[int, dt.datetime]]]:
    found: dict[dt.date, dict[int, tuple[int, dt.datetime]]] = {}
    grouped = invoices.values("period", "order__customer").annotate(
        n=Count("pk"), earliest=Min("issued_at")
    )
    for values in grouped:
        found.setdefault(values["period"], {})[values["order__customer"]] = (
            values["n"],
            values["earliest"],
        )
    return found


def _bought_before(customer_id: int, moment: dt.datetime) -> bool:
    return Invoice.objects.filter(order__customer_id=customer_id, issued_at__lt=moment).exists()


@dataclass
class ConversionRow:
    step: str
    count: int
    # Of the step before: None for the first.
    rate: Decimal | None = None


def conversion(window: Window) -> list[ConversionRow]:
    """The first-party analytics funnel over the window (anonymous daily counts)."""
    totals = dict(
        DailyCount.objects.filter(
            day__range=(window.start, window.end),
            metric__in=[f"funnel_{s}" for s in FUNNEL_STEPS],
        )
        .values_list("metric")
        .annotate(n=Sum("count"))
    )
    rows: list[ConversionRow] = []
    previous: int | None = None
    for step in FUNNEL_STEPS:
        count = int(totals.get(f"funnel_{step}", 0))
        rate = None
        if previous is not None:
            rate = (Decimal(count) / previous * 100).quantize(Decimal("0.1")) if previous else None
        rows.append(ConversionRow(step=step, count=count, rate=rate))
        previous = count
    return rows


def currencies_of(rows: Iterable[SalesRow]) -> list[str]:
    """The currencies of ``rows``, the one with the most orders first."""
    orders: dict[str, int] = {}
    for row in rows:
        orders[row.currency] = orders.get(row.currency, 0) + row.orders
    return sorted(orders, key=lambda c: (-orders[c], c))


# --- Supply at a glance ---------------------------------------------------------

GLANCE_WINDOW = dt.timedelta(days=7)


@dataclass
class SupplierGlance:
    code: str
    name: str
    credit: Money | None
    credit_read_at: dt.datetime | None
    floor: Decimal
    allocations: int  # placed in the window
    failed: int  # refused by the wholesaler
    failovers: int  # abandoned for the plan's next source
    paid_to_qr_seconds: float | None  # the average, for its eSIMs ready in the window

    @property
    def credit_low(self) -> bool:
        return self.credit is not None and self.credit.amount < self.floor


@dataclass
class StockGlance:
    profile_type: str
    available: int
    low_at: int

    @property
    def low(self) -> bool:
        return self.available < self.low_at


def _paid_to_qr(orders: QuerySet, since: dt.datetime) -> float | None:
    pairs = paid_to_qr_seconds(since=since, orders=orders)
    return round(sum(pairs) / len(pairs), 1) if pairs else None


def supply_glance(now: dt.datetime | None = None) -> tuple[list[SupplierGlance], list[StockGlance]]:
    """Each wholesaler's credit, its last week of allocations and failovers and
    its time from payment to QR code; the ES2+ profiles left by profile type."""
    now = now or timezone.now()
    since = now - GLANCE_WINDOW
    credits = {c.supplier: c for c in SupplierCredit.objects.all()}
    suppliers = []
    for code in sorted(set(configured_suppliers()) | set(credits)):
        recent = Allocation.objects.filter(supplier=code, created_at__gte=since)
        credit = credits.get(code)
        suppliers.append(
            SupplierGlance(
                code=code,
                name=NAMES.get(code, code),
                credit=Money(credit.amount, credit.currency) if credit else None,
                credit_read_at=credit.read_at if credit else None,
                floor=credit_floor(code),
                allocations=recent.count(),
                failed=recent.filter(status=Allocation.Status.FAILED).count(),
                failovers=recent.filter(disposition=Allocation.Disposition.ABANDONED).count(),
                paid_to_qr_seconds=_paid_to_qr(Order.objects.filter(supplier=code), since),
            )
        )
    suppliers.append(
        SupplierGlance(
            code="es2plus",
            name="SM-DP+ (ES2+)",
            credit=None,
            credit_read_at=None,
            floor=ZERO,
            allocations=Order.objects.filter(supplier="es2plus", paid_at__gte=since).count(),
            failed=Es2Attempt.objects.filter(
                started_at__gte=since, outcome=Es2Attempt.Outcome.FAILED
            ).count(),
            failovers=0,
            paid_to_qr_seconds=_paid_to_qr(Order.objects.filter(supplier="es2plus"), since),
        )
    )
    stock = [
        StockGlance(profile_type=profile_type, available=left, low_at=stock_low_at())
        for profile_type, left in stock_levels().items()
    ]
    return suppliers, stock

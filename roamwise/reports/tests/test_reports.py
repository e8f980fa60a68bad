"""The reports equal the invoices and refunds they sum, hold no customer, and
open only for staff with the permission (ORD-05, USE-04)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.analytics.models import DailyCount
from roamwise.audit.roles import BILLING, SUPPORT_AGENT
from roamwise.catalog.models import Plan, PlanPrice
from roamwise.orders.models import Invoice, Order, OrderEvent, OrderStatus, Refund
from roamwise.orders.services import order_cost_record
from roamwise.reports import selectors
from roamwise.reports.selectors import Window
from roamwise.suppliers.base import Money as Cost
from roamwise.testing.people import make_customer, staff_client
from roamwise.testing.shopping import BILLING as FR_BILLING
from roamwise.testing.shopping import paid_order

DE_BILLING = replace(
    FR_BILLING, city="Berlin", postcode="10115", country="DE", line1="1 Unter den Linden"
)
THIS_YEAR = Window.last(365, period="month")


def refund(order: Order, amount: str) -> Refund:
    """A refund the processor confirmed."""
    return Refund.objects.create(
        order=order,
        amount=Decimal(amount),
        currency=order.currency,
        status=Refund.Status.SUCCEEDED,
        reason="goodwill",
        requested_by="staff:1",
    )


@pytest.fixture
def sales(alice: User, bob: User, plan: Plan) -> list[Order]:
    """Four paid orders: three in the plan's dollars (France and Germany
    billing), one in euros; a refund and a dispute."""
    PlanPrice.objects.create(plan=plan, currency="EUR", amount=Decimal("6.50"))
    orders = [
        paid_order(alice, plan),
        paid_order(alice, plan, billing=DE_BILLING),
        paid_order(bob, plan),
        paid_order(bob, plan, currency="EUR"),
    ]
    refund(orders[0], "1.00")
    refund(orders[3], "6.50")
    OrderEvent.objects.create(
        order=orders[2], from_status=OrderStatus.PAID, to_status=OrderStatus.DISPUTED, actor="x"
    )
    return orders


def invoiced(currency: str, **filters: object) -> dict[str, Decimal]:
    return {
        name: value or Decimal("0")
        for name, value in Invoice.objects.filter(currency=currency, **filters)
        .aggregate(gross=Sum("total"), net=Sum("net_amount"), vat=Sum("tax_amount"))
        .items()
    }


def refunded(currency: str) -> Decimal:
    total = Refund.objects.filter(currency=currency, status=Refund.Status.SUCCEEDED).aggregate(
        n=Sum("amount")
    )["n"]
    return total or Decimal("0")


@pytest.mark.commitment("ORD-05")
@pytest.mark.parametrize("by", list(selectors.DIMENSIONS))
def test_sales_by_any_grouping_add_up_to_the_invoices_and_refunds(
    sales: list[Order], by: str
) -> None:
    rows = selectors.sales(THIS_YEAR, by=by)

    for currency in ("USD", "EUR"):
        mine = [r for r in rows if r.currency == currency]
        assert sum(r.gross for r in mine) == invoiced(currency)["gross"]
        assert sum(r.net for r in mine) == invoiced(currency)["net"]
        assert sum(r.vat for r in mine) == invoiced(currency)["vat"]
        assert sum(r.refunded for r in mine) == refunded(currency)
        assert sum(r.orders for r in mine) == Invoice.objects.filter(currency=currency).count()
        # The margin kept on the invoices is the margin recorded on their orders.
        orders = Order.objects.filter(invoice__isnull=False, currency=currency)
        recorded = orders.aggregate(m=Sum("margin_amount"))["m"] or Decimal("0")
        assert sum(r.margin for r in mine) == recorded
        assert sum(r.margin_unknown for r in mine) == orders.filter(margin_amount=None).count()
    assert sum(r.disputes for r in rows) == 1
    assert {r.currency for r in rows} == {"USD", "EUR"}  # never added across currencies


def test_the_margin_follows_the_source_that_supplied_the_order(sales: list[Order]) -> None:
    order = sales[0]
    # Fulfilment names the source that supplied it after the invoice was issued.
    order_cost_record(order_id=order.pk, supplier="airalo", cost=Cost(Decimal("2.00"), "USD"))

    order.refresh_from_db()
    assert order.invoice.margin_amount == order.margin_amount == order.net_amount - 2
    rows = [r for r in selectors.sales(THIS_YEAR, by="supplier") if r.key == "airalo"]
    assert [(r.orders, r.margin, r.margin_unknown) for r in rows] == [(1, order.net_amount - 2, 0)]


@pytest.mark.commitment("ORD-05")
def test_sales_by_country_split_what_each_country_was_invoiced(sales: list[Order]) -> None:
    rows = {(r.key, r.currency): r for r in selectors.sales(THIS_YEAR, by="country")}

    assert rows["DE", "USD"].gross == invoiced("USD", billing_country="DE")["gross"]
    assert rows["FR", "USD"].gross == invoiced("USD", billing_country="FR")["gross"]
    assert rows["FR", "USD"].refunded == Decimal("1.00")
    assert rows["FR", "EUR"].kept == Decimal("0.00")


@pytest.mark.commitment("ORD-05")
def test_vat_by_country_and_rate_is_what_the_invoices_collected_less_refunds(
    sales: list[Order],
) -> None:
    rows = selectors.vat(THIS_YEAR)

    for row in rows:
        on_invoices = invoiced(row.currency, billing_country=row.country, tax_rate=row.rate)
        assert (row.net, row.vat, row.gross) == (
            on_invoices["net"],
            on_invoices["vat"],
            on_invoices["gross"],
        )
    german = next(r for r in rows if r.country == "DE")
    french_euros = next(r for r in rows if r.country == "FR" and r.currency == "EUR")
    assert german.rate != french_euros.rate or german.rate == Decimal("0")
    # The whole euro order was refunded: its VAT is owed no more.
    assert french_euros.vat_due == Decimal("0.00")
    assert french_euros.refunded_vat == french_euros.vat


def test_repeat_customers_and_top_ups_are_counted(sales: list[Order], plan: Plan) -> None:
    (month,) = selectors.customers(THIS_YEAR)

    assert (month.new_esims, month.top_ups, month.customers) == (4, 0, 2)
    assert month.repeat_customers == 2  # each bought more than once
    carol = make_customer("carol")
    paid_order(carol, plan)
    (month,) = selectors.customers(THIS_YEAR)
    assert (month.customers, month.repeat_customers) == (3, 2)


def test_conversion_is_read_from_the_anonymous_funnel_counts(db: None) -> None:
    today = timezone.localdate()
    for step, count in (("destination", 200), ("plan", 80), ("checkout", 20), ("paid", 5)):
        DailyCount.objects.create(day=today, metric=f"funnel_{step}", count=count)

    rows = selectors.conversion(Window.last(7))

    assert [(r.step, r.count, r.rate) for r in rows] == [
        ("destination", 200, None),
        ("plan", 80, Decimal("40.0")),
        ("checkout", 20, Decimal("25.0")),
        ("paid", 5, Decimal("25.0")),
    ]


@pytest.mark.commitment("USE-04")
def test_reports_open_only_with_the_permission_and_name_no_customer(
    sales: list[Order], alice: User
) -> None:
    support, _ = staff_client(SUPPORT_AGENT, "agent")
    billing, _ = staff_client(BILLING, "bookkeeper")

    assert support.get("/admin/reports/sales/").status_code == 403
    for name in ("sales", "vat", "customers", "conversion"):
        page = billing.get(f"/admin/reports/{name}/?by=country").content.decode()
        assert "<svg" in page or name == "conversion"
        for personal in (alice.email, FR_BILLING.name, FR_BILLING.line1, "alice"):
            assert personal not in page, (name, personal)
    index = billing.get("/admin/").content.decode()
    assert 'href="/admin/reports/"' in index


@pytest.mark.commitment("ORD-05")
def test_each_report_downloads_as_csv_with_the_same_figures(sales: list[Order]) -> None:
    billing, _ = staff_client(BILLING, "bookkeeper")

    response = billing.get("/admin/reports/sales/?period=month&by=currency&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    dollars = [row for row in table if row["Currency"] == "USD"]
    assert sum(Decimal(row["Gross"]) for row in dollars) == invoiced("USD")["gross"]


@pytest.mark.parametrize(
    "query",
    [
        "start=yesterday",
        "period=year",
        "start=2026-05-01&end=2026-04-01",
        "by=customer",
        "period=day&start=2020-01-01&end=2026-01-01",
    ],
)
def test_a_bad_window_gets_a_clear_400(db: None, query: str) -> None:
    billing, _ = staff_client(BILLING, "bookkeeper")

    response = billing.get(f"/admin/reports/sales/?{query}")

    assert response.status_code == 400
    assert response.content.decode().strip()


def test_an_unknown_report_is_404(db: None) -> None:
    billing, _ = staff_client(BILLING, "bookkeeper")

    assert billing.get("/admin/reports/margins-of-alice/").status_code == 404


def test_the_default_window_is_the_last_twelve_months_by_month(db: None) -> None:
    billing, _ = staff_client(BILLING, "bookkeeper")
    today = timezone.localdate()

    page = billing.get("/admin/reports/sales/").content.decode()

    assert f'value="{today:%Y-%m-%d}"' in page
    assert (today - dt.timedelta(days=400)).isoformat() not in page

"""The reports pages: each report as a table, a chart drawn on the server and
a CSV file, for staff with the reports permission. Aggregates only (USE-04)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from roamwise.analytics import charts

from . import selectors
from .selectors import Window

# The longest window of daily rows, so that a page stays readable and quick.
MAX_DAILY_DAYS = 366
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Column:
    title: Any
    value: Callable[[Any], object]


@dataclass(frozen=True)
class ReportKind:
    title: Any
    description: Any
    columns: Sequence[Column]
    has_dimension: bool = False


SALES_COLUMNS = (
    Column(gettext_lazy("Period"), lambda r: r.period.isoformat()),
    Column(gettext_lazy("Group"), lambda r: r.key),
    Column(gettext_lazy("Currency"), lambda r: r.currency),
    Column(gettext_lazy("Orders"), lambda r: r.orders),
    Column(gettext_lazy("Net"), lambda r: r.net),
    Column(gettext_lazy("VAT"), lambda r: r.vat),
    Column(gettext_lazy("Gross"), lambda r: r.gross),
    Column(gettext_lazy("Refunds"), lambda r: r.refunds),
    Column(gettext_lazy("Refunded"), lambda r: r.refunded),
    Column(gettext_lazy("Kept"), lambda r: r.kept),
    Column(gettext_lazy("Disputes"), lambda r: r.disputes),
    Column(gettext_lazy("Disputed"), lambda r: r.disputed),
    Column(gettext_lazy("Margin at sale"), lambda r: r.margin),
    Column(gettext_lazy("Orders without margin"), lambda r: r.margin_unknown),
)
VAT_COLUMNS = (
    Column(gettext_lazy("Billing country"), lambda r: r.country),
    Column(gettext_lazy("VAT rate"), lambda r: r.rate),
    Column(gettext_lazy("Currency"), lambda r: r.currency),
    Column(gettext_lazy("Invoices"), lambda r: r.invoices),
    Column(gettext_lazy("Net"), lambda r: r.net),
    Column(gettext_lazy("VAT"), lambda r: r.vat),
    Column(gettext_lazy("Gross"), lambda r: r.gross),
    Column(gettext_lazy("Refunded"), lambda r: r.refunded),
    Column(gettext_lazy("VAT refunded"), lambda r: r.refunded_vat),
    Column(gettext_lazy("VAT due"), lambda r: r.vat_due),
)
CUSTOMERS_COLUMNS = (
    Column(gettext_lazy("Period"), lambda r: r.period.isoformat()),
    Column(gettext_lazy("New eSIMs"), lambda r: r.new_esims),
    Column(gettext_lazy("Top-ups"), lambda r: r.top_ups),
    Column(gettext_lazy("Customers"), lambda r: r.customers),
    Column(gettext_lazy("Repeat customers"), lambda r: r.repeat_customers),
)
CONVERSION_COLUMNS = (
    Column(gettext_lazy("Step"), lambda r: r.step),
    Column(gettext_lazy("Visitors"), lambda r: r.count),
    Column(gettext_lazy("Of the step before (%)"), lambda r: "" if r.rate is None else r.rate),
)

REPORTS: dict[str, ReportKind] = {
    "sales": ReportKind(
        gettext_lazy("Sales, refunds, disputes and margin"),
        gettext_lazy(
            "Invoices issued, refunds the processor confirmed and disputes opened, by period, "
            "with the margin recorded at sale; one row per currency."
        ),
        SALES_COLUMNS,
        has_dimension=True,
    ),
    "vat": ReportKind(
        gettext_lazy("VAT by country and rate"),
        gettext_lazy(
            "What a VAT return needs: net, VAT and gross invoiced by billing country and rate, "
            "less the VAT of refunds."
        ),
        VAT_COLUMNS,
    ),
    "customers": ReportKind(
        gettext_lazy("New eSIMs, top-ups and repeat customers"),
        gettext_lazy("How many bought, and how many came back: counts only."),
        CUSTOMERS_COLUMNS,
    ),
    "conversion": ReportKind(
        gettext_lazy("Conversion"),
        gettext_lazy(
            "The first-party analytics funnel: visitors who opened a destination, a plan, the "
            "checkout, and paid (anonymous counts of visitors who consented)."
        ),
        CONVERSION_COLUMNS,
    ),
}
DIMENSION_LABELS = {
    "total": gettext_lazy("Total"),
    "destination": gettext_lazy("Destination"),
    "plan": gettext_lazy("Plan"),
    "supplier": gettext_lazy("Supplier"),
    "currency": gettext_lazy("Currency"),
    "country": gettext_lazy("Billing country"),
    "kind": gettext_lazy("New eSIM or top-up"),
}
PERIOD_LABELS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}


class BadQuery(ValueError):
    pass


def _date(value: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadQuery(
            gettext("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}
        ) from None


def window_of(request: HttpRequest) -> Window:
    """The window asked for: ?start=&end= (dates) and ?period=day|week|month;
    by default the last twelve months, by month."""
    today = timezone.localdate()
    end = _date(request.GET.get("end", ""), today)
    start = _date(request.GET.get("start", ""), end.replace(day=1) - dt.timedelta(days=334))
    period = request.GET.get("period", "month")
    if period not in selectors.PERIODS:
        raise BadQuery(gettext("The period is one of day, week or month."))
    if start > end:
        raise BadQuery(gettext("The start comes after the end."))
    days = (end - start).days + 1
    if days > MAX_DAYS or (period == "day" and days > MAX_DAILY_DAYS):
        raise BadQuery(gettext("This window is too long: choose a shorter one or a longer period."))
    return Window(start=start, end=end, period=period)


@login_required
@permission_required("reports.view_reports", raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"reports": REPORTS})


@login_required
@permission_required("reports.view_reports", raise_exception=True)
def report(request: HttpRequest, name: str) -> HttpResponse:
    kind = REPORTS.get(name)
    if kind is None:
        raise Http404(gettext("No such report."))
    by = request.GET.get("by", "total")
    try:
        window = window_of(request)
        if by not in selectors.DIMENSIONS:
            raise BadQuery(
                gettext("A report is grouped by one of: %(names)s.")
                % {"names": ", ".join(selectors.DIMENSIONS)}
            )
    except BadQuery as exc:
        return HttpResponseBadRequest(str(exc))
    rows = _rows(name, window, by)
    if request.GET.get("format") == "csv":
        return _csv(f"{name}-{window.start}-{window.end}.csv", kind.columns, rows)
    context = {
        "name": name,
        "kind": kind,
        "window": window,
        "by": by,
        "dimensions": DIMENSION_LABELS,
        "periods": PERIOD_LABELS,
        "header": [str(c.title) for c in kind.columns],
        "rows": [[c.value(r) for c in kind.columns] for r in rows],
        "charts": _charts(name, rows),
        "csv_query": _with(request, format="csv"),
    }
    return render(request, "reports/report.html", context)


def _rows(name: str, window: Window, by: str) -> list[Any]:
    if name == "sales":
        return list(selectors.sales(window, by=by))
    if name == "vat":
        return list(selectors.vat(window))
    if name == "customers":
        return list(selectors.customers(window))
    return list(selectors.conversion(window))


def _charts(name: str, rows: list[Any]) -> list[Any]:
    if name == "sales":
        drawn = []
        for currency in selectors.currencies_of(rows):
            by_period: dict[dt.date, int] = {}
            for row in rows:
                if row.currency == currency:
                    by_period[row.period] = by_period.get(row.period, 0) + int(row.kept)
            title = gettext("Kept after refunds, in whole %(currency)s") % {"currency": currency}
            labels = [p.isoformat() for p in by_period]
            drawn.append(charts.column_chart(labels, list(by_period.values()), title=title))
        return drawn
    if name == "vat":
        pairs = [(f"{r.country} {r.rate:.2%} {r.currency}", int(r.vat_due)) for r in rows]
        return (
            [charts.bar_list_chart(pairs, title=gettext("VAT due, in whole units"))]
            if pairs
            else []
        )
    if name == "customers":
        labels = [r.period.isoformat() for r in rows]
        return [
            charts.column_chart(labels, [r.new_esims for r in rows], title=gettext("New eSIMs")),
            charts.column_chart(labels, [r.top_ups for r in rows], title=gettext("Top-ups")),
        ]
    pairs = [(r.step.capitalize(), r.count) for r in rows]
    return [charts.bar_list_chart(pairs, title=gettext("Funnel"))]


def _csv(filename: str, columns: Sequence[Column], rows: Iterable[Any]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([str(c.title) for c in columns])
    for row in rows:
        writer.writerow([c.value(row) for c in columns])
    return response


def _with(request: HttpRequest, **changes: str) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@login_required
@permission_required("reports.view_supply", raise_exception=True)
def supply(request: HttpRequest) -> HttpResponse:
    """Each wholesaler's credit, failures, failovers and time from payment to QR
    code over the last week, and the ES2+ profiles left by type."""
    suppliers, stock = selectors.supply_glance()
    return render(
        request,
        "reports/supply.html",
        {"suppliers": suppliers, "stock": stock, "days": selectors.GLANCE_WINDOW.days},
    )

"""The monthly sales and VAT reports over many orders, against a raw GROUP BY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench_reports \\
    VAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench_reports_vault \\
        .venv/bin/python bench/reports.py [--orders 1000000] [--rounds 5]

Makes one paid order through the shop (its invoice issued as for a sale), then
copies it in SQL into ``--orders`` paid orders with their invoices, spread
over the last year, in four currencies and six billing countries. Then,
``--rounds`` times in turn:

* baseline and ceiling: one raw ``SELECT date_trunc('month', issued_at),
  currency, count(*), sum(net_amount), sum(tax_amount), sum(total) ... GROUP
  BY`` over the invoices of the year (for VAT: by billing country, rate and
  currency): the sums the report is made of, with nothing else. No summary
  table is kept, so this is the ceiling too;
* Roamwise: ``reports.selectors.sales`` by month (invoices with the margin
  each keeps from its order, refunds and disputes) and ``reports.selectors.vat``.

Goal (issue 18): each report under 1 s over 1,000,000 orders on PostgreSQL.
PostgreSQL only: SQLite has neither ``date_trunc`` nor the scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.db import connection
from django.utils import timezone

from bench._measure import interleaved, migrate, report
from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo
from roamwise.orders.models import Invoice, Order
from roamwise.reports import selectors
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import paid_order

CURRENCIES = ("USD", "EUR", "GBP", "JPY")
COUNTRIES = (("FR", "0.2000"), ("DE", "0.1900"), ("ES", "0.2100"), ("IT", "0.2200"),
             ("GB", "0.2000"), ("US", "0.0000"))  # fmt: skip


def _columns(model: type) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def fill(count: int) -> None:
    """``count`` paid orders and their invoices, copied from one real sale."""
    catalog_load_demo()
    template = paid_order(make_customer("bench"), Plan.objects.filter(is_active=True).first())
    invoice = Invoice.objects.get(order=template)
    order_expressions = {
        "public_id": "gen_random_uuid()",
        "currency": f"(ARRAY{list(CURRENCIES)})[1 + n %% 4]",
        "billing_country": f"(ARRAY{[c for c, _ in COUNTRIES]})[1 + n %% 6]",
        "tax_rate": f"(ARRAY{[r for _, r in COUNTRIES]})[1 + n %% 6]::numeric",
        "total": "(5 + n %% 20)::numeric",
        # No promotion: the price before a discount is the total (ADR 0031).
        "price_before_discount": "(5 + n %% 20)::numeric",
        "discount_amount": "0::numeric",
        "net_amount": "(4 + n %% 20)::numeric",
        "tax_amount": "1::numeric",
        "margin_amount": "(1 + n %% 3)::numeric",
        "paid_at": "now() - (n %% 360) * interval '1 day' - (n %% 1440) * interval '1 minute'",
        "created_at": "now() - (n %% 360) * interval '1 day' - (n %% 1440) * interval '1 minute'",
        "idempotency_key": "''",
    }
    columns = _columns(Order)
    chosen = ", ".join(order_expressions.get(c, c) for c in columns)
    invoice_expressions = {
        "number": "'B' || o.id",
        "sequence": "o.id",
        "order_id": "o.id",
        "issued_at": "o.paid_at",
        "currency": "o.currency",
        "billing_country": "o.billing_country",
        "tax_rate": "o.tax_rate",
        "total": "o.total",
        "net_amount": "o.net_amount",
        "tax_amount": "o.tax_amount",
        "margin_amount": "o.margin_amount",
    }
    invoice_columns = _columns(Invoice)
    invoice_chosen = ", ".join(invoice_expressions.get(c, f"t.{c}") for c in invoice_columns)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO orders_order ({', '.join(columns)}) "
            f"SELECT {chosen} FROM orders_order, generate_series(1, %s) AS n WHERE id = %s",
            [count - 1, template.pk],
        )
        cursor.execute(
            f"INSERT INTO orders_invoice ({', '.join(invoice_columns)}) "
            f"SELECT {invoice_chosen} FROM orders_order o, orders_invoice t "
            "WHERE t.id = %s AND o.id <> %s",
            [invoice.pk, template.pk],
        )
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE orders_invoice")
    print(f"{count:,} paid orders and invoices made in {time.perf_counter() - started:.1f} s")


def timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL and VAULT_DATABASE_URL.")
    migrate()
    fill(options.orders)
    today = timezone.localdate()
    window = selectors.Window(start=today - dt.timedelta(days=364), end=today, period="month")
    first, after = window.bounds()
    monthly = (
        "SELECT date_trunc('month', issued_at), currency, count(*), sum(net_amount), "
        "sum(tax_amount), sum(total) FROM orders_invoice "
        "WHERE issued_at >= %s AND issued_at < %s GROUP BY 1, 2"
    )
    by_rate = (
        "SELECT billing_country, tax_rate, currency, count(*), sum(net_amount), "
        "sum(tax_amount), sum(total) FROM orders_invoice "
        "WHERE issued_at >= %s AND issued_at < %s GROUP BY 1, 2, 3"
    )
    steps = {
        "raw sales GROUP BY": lambda: timed(lambda: raw(monthly, [first, after])),
        "sales report": lambda: timed(lambda: selectors.sales(window, by="total")),
        "raw VAT GROUP BY": lambda: timed(lambda: raw(by_rate, [first, after])),
        "VAT report": lambda: timed(lambda: selectors.vat(window)),
    }
    results = interleaved(options.rounds, steps, show=lambda s: f"{s:8.3f}", unit="s")
    for subject, baseline in (
        ("sales report", "raw sales GROUP BY"),
        ("VAT report", "raw VAT GROUP BY"),
    ):
        report(
            {k: results[k] for k in (baseline, subject)},
            show=lambda s: f"{s:8.3f}",
            unit="s",
            subjects=[subject],
            baseline=baseline,
            ceiling=baseline,
            higher_is_better=False,
        )
    print("goal: each report under 1 s over 1,000,000 orders")


if __name__ == "__main__":
    main()

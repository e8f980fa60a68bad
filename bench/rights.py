"""Cost of the rights of one heavy customer: the full access export against
plain SELECTs of the same rows (baseline) and against the same rows turned
into JSON by the database itself (ceiling); then the full erasure.

    .venv/bin/python bench/rights.py [--records 20000] [--orders 50] [--tickets 20] [--rounds 5]

The customer has 12 months of usage records on one eSIM, paid orders with
invoices, and support tickets. Measured, ``--rounds`` times in turn:

- baseline: four plain SQL SELECTs, every column of the customer's usage
  records, orders, invoices and ticket messages, fetched into Python tuples
  (no decryption, no JSON, no rendering);
- export: the privacy center's download as the customer gets it, built
  (every declared source of the data map, values decrypted with the key cache
  emptied first) and zipped with its JSON and HTML;
- ceiling: the same four queries with the database writing the JSON of the
  rows (on PostgreSQL ``json_agg(row_to_json(...))``, on SQLite
  ``json_group_array(json_object(...))`` over every column), fetched as four
  texts: the least any JSON export of those rows costs. Encrypted columns come
  out as stored, sealed.

Then once, since it destroys what it measures, the erasure: until the network
partner has ended the customer's line (over HTTP, to the simulator served on
loopback by this script), until the data is unreadable (keys destroyed), until
the rows are gone or anonymised, and until the verification scan has passed.
Goals (printed, never asserted): export under 2 s, unreadable under 100 ms
after the partner has answered.
Runs on a scratch SQLite database, or on empty databases named by
DATABASE_URL / VAULT_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import connection, models, transaction
from django.utils import timezone

from bench._measure import interleaved, migrate, report
from roamwise.accounts.models import Profile, User
from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo
from roamwise.esims.models import Bundle
from roamwise.orders.models import Invoice, Order
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.rights.erasure import erase_subject
from roamwise.rights.export import export_build, export_zip
from roamwise.support.models import TicketMessage
from roamwise.support.services import ticket_open
from roamwise.testing.lines import ICCID_PREFIX, esim_on_line, iccid
from roamwise.testing.shopping import BILLING
from roamwise.usage import services as usage
from roamwise.usage.models import UsageRecord
from roamwise.vault.services import clear_key_cache


def serve_network_partner() -> None:
    """The network partner's stand-in on a loopback port in a thread (mounted
    with the suite's URLconf, ADR 0018): erasure tells the partner to end the
    customer's line first."""
    settings.ROOT_URLCONF = "roamwise.core.tests.stand_in_urls"
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NETWORK_PARTNER_URL = f"http://127.0.0.1:{server.server_port}/network"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def build_customer(*, records: int, orders: int, tickets: int) -> User:
    migrate()
    catalog_load_demo()
    customer = User.objects.create_user(
        "heavy", "heavy@example.com", "a long passphrase 1", first_name="Hana", last_name="Vy"
    )
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    Profile.objects.create(user=customer, phone="+447911000777", date_of_birth=dt.date(1985, 2, 3))
    plan = Plan.objects.get(destination__code="FR", data_mb=5120)
    line = iccid(1)
    esim_on_line(customer, plan, line)
    Bundle.objects.update(data_mb=10**7)  # large enough to stay active throughout
    for _ in range(orders - 1):
        with transaction.atomic():
            order = order_await_payment(
                order=order_create(customer=customer, plan=plan, billing=BILLING)
            )
            order_mark_paid(order_id=order.pk, actor="bench")
    for n in range(tickets):
        # Tickets written over months: not the ten an hour a customer may open.
        cache.clear()
        ticket_open(
            customer=customer,
            category="technical",
            title=f"Question {n}",
            body=f"Roaming in Lyon stopped on day {n}.",
        )
    partner, _ = usage.partner_create(
        code="bench", name="Bench network", iccid_prefixes=ICCID_PREFIX
    )
    rng = random.Random(1)
    now = timezone.now()
    batch: list[dict[str, object]] = []
    for n in range(records):
        start = now - dt.timedelta(seconds=rng.randrange(3600, 360 * 86400))
        batch.append(
            {
                "record_id": f"r{n}",
                "iccid": line,
                "session_start": start.isoformat(),
                "session_end": (start + dt.timedelta(minutes=20)).isoformat(),
                "bytes_up": rng.randrange(0, 1_000_000),
                "bytes_down": rng.randrange(0, 10_000_000),
                "visited_network": "20801",
            }
        )
        if len(batch) == 10_000:
            usage.usage_ingest_batch(partner=partner, raw_records=batch)
            batch = []
    if batch:
        usage.usage_ingest_batch(partner=partner, raw_records=batch)
    return customer


# The customer's rows of each table: (model, alias, FROM ... WHERE on customer_id).
SOURCES: list[tuple[type[models.Model], str, str]] = [
    (
        UsageRecord,
        "u",
        "usage_usagerecord u JOIN esims_esim e ON e.id = u.esim_id WHERE e.customer_id = %s",
    ),
    (Order, "o", "orders_order o WHERE o.customer_id = %s"),
    (
        Invoice,
        "i",
        "orders_invoice i JOIN orders_order o ON o.id = i.order_id WHERE o.customer_id = %s",
    ),
    (
        TicketMessage,
        "m",
        "support_ticketmessage m JOIN support_ticket t ON t.id = m.ticket_id "
        "WHERE t.customer_id = %s",
    ),
]


def baseline(customer: User) -> float:
    """The rows by plain SQL: the floor any export stands on."""
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        for _, alias, source in SOURCES:
            cursor.execute(f"SELECT {alias}.* FROM {source}", [customer.pk])
            cursor.fetchall()
    return time.perf_counter() - begin


def json_query(model: type[models.Model], alias: str, source: str) -> str:
    """One text: the JSON array of the rows, every column, written by the database."""
    if connection.vendor == "postgresql":
        return (
            f"SELECT coalesce(json_agg(row_to_json({alias})), '[]')::text "
            f"FROM (SELECT {alias}.* FROM {source}) {alias}"
        )
    pairs = ", ".join(
        f"'{field.column}', {alias}.{field.column}" for field in model._meta.concrete_fields
    )
    return f"SELECT json_group_array(json_object({pairs})) FROM {source}"


def ceiling(customer: User) -> float:
    """The same rows as JSON from the database: the least a JSON export costs."""
    queries = [json_query(*source) for source in SOURCES]
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, [customer.pk])
            (text,) = cursor.fetchone()
            assert text.startswith("[")
    return time.perf_counter() - begin


def export(customer: User) -> float:
    clear_key_cache()
    begin = time.perf_counter()
    archive = export_zip(export_build(user=customer))
    seconds = time.perf_counter() - begin
    assert len(archive) > 1000
    return seconds


def row_count(customer: User) -> int:
    with connection.cursor() as cursor:
        total = 0
        for _, _, source in SOURCES:
            cursor.execute(f"SELECT count(*) FROM {source}", [customer.pk])
            total += cursor.fetchone()[0]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"database: {connection.vendor}")
    begin = time.perf_counter()
    customer = build_customer(records=args.records, orders=args.orders, tickets=args.tickets)
    print(f"customer built in {time.perf_counter() - begin:.1f} s")
    print(f"{row_count(customer)} rows in the four tables; {args.rounds} rounds ...", flush=True)

    def show(seconds: float) -> str:
        return f"{seconds * 1000:9.1f}"

    results = interleaved(
        args.rounds,
        {
            "plain SELECTs": lambda: baseline(customer),
            "export (ZIP)": lambda: export(customer),
            "JSON by the database": lambda: ceiling(customer),
        },
        show=show,
        unit="ms",
    )
    report(
        results,
        show=show,
        unit="ms",
        subjects=["export (ZIP)"],
        baseline="plain SELECTs",
        ceiling="JSON by the database",
        higher_is_better=False,
    )
    exported = statistics.median(results["export (ZIP)"])
    print(f"export goal < 2000 ms: {'met' if exported < 2 else 'NOT met'}\n")

    clear_key_cache()
    serve_network_partner()
    erased = erase_subject(user=customer, reason="benchmark")

    told = erased.seconds["recipients"]
    unreadable = erased.seconds["unreadable"] - told
    print(f"erasure partner     {told * 1000:9.1f} ms  (the line ended at the network)")
    print(
        f"erasure unreadable  {unreadable * 1000:9.1f} ms  after that; goal < 100 ms: "
        f"{'met' if unreadable < 0.1 else 'NOT met'}"
    )
    print(f"erasure rows gone   {erased.seconds['rows'] * 1000:9.1f} ms")
    print(f"erasure verified    {erased.seconds['verified'] * 1000:9.1f} ms")


if __name__ == "__main__":
    main()

"""Fault injection: paid orders through a shop whose pieces fail, then the tally.

    .venv/bin/python bench/faults.py [--orders 40] [--database roamwise_faults]

Starts the real pieces as processes on loopback, with PostgreSQL and a Redis
server of its own (another port, no persistence, so a restart loses the queue;
the shared Redis server is never touched): the web server (gunicorn), the Huey
job consumer, the SM-DP+ simulator alone (``manage.py run_smdp``) and the
payment processor simulator alone (``manage.py run_gateway``). Customers place
``--orders`` orders through the API and pay on the processor's hosted page,
and the phones of ready eSIMs download them, while the script:

- makes the SM-DP+ answer garbage, then time out, then refuse (503), through
  the simulator's fault switch (``SIMULATOR_FAULTS``; it acts before a garbled
  or late answer, the nastiest case);
- makes the payment processor time out, then answer garbage (its API and its
  webhooks, cut short in transit), then refuse (503);
- kills the job consumer (SIGKILL) while it is in the middle of an ES2+ call,
  and starts it again;
- kills the Redis server and starts it again, empty;
- makes the eSIM wholesalers' stand-ins (Airalo, eSIM Access, each alone as
  ``manage.py run_supplier_standin``) refuse (503), rate-limit (429 with
  ``Retry-After``), time out after acting and answer garbage after acting (the
  answer is lost), while every third of their notifications comes twice, the
  copy later than what followed it. Every third order is for a plan supplied
  by Airalo first and eSIM Access second (ADR 0020). An order placed at a
  wholesaler whose answer was lost is looked up there once the call is over
  (ADR 0037): found, it supplies the order or is an extra profile cancelled
  or kept; absent, it is sent again or the order goes on.

Every sixth order is for a plan whose profile the SM-DP+ does not stock, so
those orders fail and must be refunded, through the faulty processor. Then every fault is switched
off and the system is left to settle by itself (its periodic sweeps run every
minute; ``RECOVERY_AFTER_SECONDS`` is 30 here). The tally: orders paid,
fulfilled, refunded, stuck; eSIM profiles provisioned twice; webhooks and ES2+
notifications sent, received and processed. The invariant: every paid order
ends fulfilled or refunded (in full, once), no eSIM profile is provisioned
twice (over ES2+ or at a wholesaler: no order placed twice under one
transaction id, no order with two profiles), no webhook or notification is
lost. Exit status 1 if it is violated.

The two databases (``NAME`` and ``NAME_vault``) are dropped and created again.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from roamwise.core.management.commands.serve import web_server_command
from roamwise.core.stand_ins import STAND_INS

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "fault injection 4 the win"  # noqa: S105 - the test customers' password
EID = "89049032123451234512345678901235"
BILLING = {
    "name": "Fault Tester",
    "line1": "1 Chaos Street",
    "line2": "",
    "city": "Leeds",
    "postcode": "LS1 1AA",
    "country": "GB",
    "phone": "+447911123456",
    "terms_version": "2026-12",
    "accept_terms": "on",
    "waive_withdrawal": "on",
}


# --- The tally (also used by the pytest scenario) ---------------------------------------


@dataclass
class Tally:
    orders_paid: int = 0
    fulfilled: int = 0
    refunded: int = 0
    stuck: list[str] = field(default_factory=list)
    refunded_twice: list[str] = field(default_factory=list)
    profiles_reserved: int = 0
    provisioned_twice: list[str] = field(default_factory=list)
    profiles_held_by_failed: int = 0
    webhooks_sent: int = 0
    webhooks_received: int = 0
    webhooks_processed: int = 0
    webhooks_lost: list[str] = field(default_factory=list)
    reconciled_payments: int = 0
    notifications_sent: int = 0
    notifications_applied: int = 0
    notifications_lost: list[str] = field(default_factory=list)
    es2_calls: int = 0
    es2_answers_lost: int = 0
    deliveries_retried: int = 0
    checkouts_abandoned: int = 0
    supplier_orders: int = 0
    supplied: Counter[str] = field(default_factory=Counter)
    supplier_failovers: int = 0
    supplier_extra_profiles: int = 0
    supplier_ordered_twice: list[str] = field(default_factory=list)
    supplier_answers_lost: list[str] = field(default_factory=list)
    supplier_notifications_sent: int = 0
    supplier_notifications_applied: int = 0

    @property
    def violations(self) -> list[str]:
        found = []
        if self.stuck:
            found.append(f"{len(self.stuck)} paid orders neither fulfilled nor refunded")
        if self.refunded_twice:
            found.append(f"{len(self.refunded_twice)} orders refunded more than once")
        if self.provisioned_twice:
            found.append(f"{len(self.provisioned_twice)} eSIM profiles provisioned twice")
        if self.webhooks_lost or self.webhooks_processed != self.webhooks_received:
            found.append(f"{len(self.webhooks_lost)} webhooks lost")
        if self.notifications_lost:
            found.append(f"{len(self.notifications_lost)} ES2+ notifications lost")
        if self.supplier_ordered_twice:
            found.append(f"{len(self.supplier_ordered_twice)} orders placed twice at a wholesaler")
        if self.supplier_answers_lost:
            found.append(
                f"{len(self.supplier_answers_lost)} wholesaler orders whose lost answer was "
                "never reconciled"
            )
        return found

    def lines(self) -> list[str]:
        return [
            f"ES2+ calls               {self.es2_calls}",
            f"  answer lost, settled   {self.es2_answers_lost} (with the SM-DP+)",
            f"deliveries tried again   {self.deliveries_retried} (webhooks, notifications)",
            f"checkouts abandoned      {self.checkouts_abandoned} (the customer tried again)",
            f"orders paid              {self.orders_paid}",
            f"  fulfilled              {self.fulfilled}",
            f"  refunded in full       {self.refunded}",
            f"  stuck                  {len(self.stuck)}  {' '.join(self.stuck[:5])}".rstrip(),
            f"  refunded twice         {len(self.refunded_twice)}",
            f"eSIM profiles reserved   {self.profiles_reserved}",
            f"  provisioned twice      {len(self.provisioned_twice)}",
            f"  held by failed eSIMs   {self.profiles_held_by_failed}",
            f"payment webhooks sent    {self.webhooks_sent}",
            f"  received               {self.webhooks_received}",
            f"  processed              {self.webhooks_processed}",
            f"  lost                   {len(self.webhooks_lost)}",
            f"  payments reconciled    {self.reconciled_payments} (asked, webhook late)",
            f"ES2+ notifications sent  {self.notifications_sent}",
            f"  applied                {self.notifications_applied}",
            f"  lost                   {len(self.notifications_lost)}",
            f"wholesaler orders        {self.supplier_orders} (allocations, one an order and source)",
            f"  supplied the order     {dict(sorted(self.supplied.items()))}",
            f"  left for the next      {self.supplier_failovers} (down, refused or answer lost)",
            f"  extra profiles         {self.supplier_extra_profiles} (late, cancelled or kept)",
            f"  placed twice           {len(self.supplier_ordered_twice)}",
            f"  answer lost, unknown   {len(self.supplier_answers_lost)} (placed at the supplier, "
            "never looked up: must be 0)",
            f"wholesaler notices sent  {self.supplier_notifications_sent} (each copy once)",
            f"  applied                {self.supplier_notifications_applied}"
            " (a lost one is made up for by polling)",
        ]


def tally(ledgers: dict[str, dict] | None = None) -> Tally:
    """Count what happened, from the shop's rows and the stand-ins' own records
    (``ledgers``: each wholesaler stand-in's, from its ``/admin/ledger``)."""
    from roamwise.esims.models import Es2Attempt, Esim, EsimState, ProgressReport
    from roamwise.gateway.models import GatewayRefund, GatewaySession, WebhookDelivery
    from roamwise.orders.models import Order, OrderEvent, OrderStatus
    from roamwise.payments.models import Payment, WebhookEvent
    from roamwise.smdp.models import ProfileState, ProgressNotification, SmdpProfile

    result = Tally()
    paid_ids = set(
        OrderEvent.objects.filter(to_status=OrderStatus.PAID).values_list("order_id", flat=True)
    )
    result.orders_paid = len(paid_ids)
    for order in Order.objects.filter(pk__in=paid_ids):
        if order.status == OrderStatus.FULFILLED:
            result.fulfilled += 1
        elif order.status == OrderStatus.REFUNDED and order.refunded_amount == order.total:
            result.refunded += 1
        else:
            result.stuck.append(f"{order.pk}:{order.status}")
        sessions = Payment.objects.filter(order=order).values_list("processor_ref", flat=True)
        at_processor = sum(
            (r.amount for r in GatewayRefund.objects.filter(session_id__in=list(sessions))),
            Decimal(0),
        )
        if order.refunded_amount > order.total or at_processor > order.total:
            result.refunded_twice.append(str(order.pk))

    # Every profile the SM-DP+ reserved belongs to exactly one eSIM, through the
    # DownloadOrder call that reserved it; and an eSIM holds at most one.
    reserved = SmdpProfile.objects.exclude(state=ProfileState.AVAILABLE)
    result.profiles_reserved = reserved.count()
    owners: Counter[int] = Counter()
    for profile in reserved:
        attempt = (
            Es2Attempt.objects.filter(function="downloadOrder", call_id=profile.reserved_by_call)
            .select_related("esim")
            .first()
        )
        if attempt is None or attempt.esim.iccid != profile.iccid:
            result.provisioned_twice.append(profile.iccid)
            continue
        owners[attempt.esim_id] += 1
        if attempt.esim.state in (EsimState.FAILED, EsimState.DELETED):
            result.profiles_held_by_failed += 1
    result.provisioned_twice += [f"esim {pk}" for pk, n in owners.items() if n > 1]
    # A profile given back may go to a later eSIM: twice means two live ones.
    ready_iccids = [
        e.iccid
        for e in Esim.objects.exclude(iccid_index="").exclude(
            state__in=(EsimState.FAILED, EsimState.DELETED)
        )
    ]
    duplicates = [iccid for iccid, n in Counter(ready_iccids).items() if n > 1]
    result.provisioned_twice += duplicates

    ours = GatewaySession.objects.filter(merchant_reference__in=[str(o.public_id) for o in
                                                                  Order.objects.all()])  # fmt: skip
    sent = set(WebhookDelivery.objects.filter(session__in=ours).values_list("event_id", flat=True))
    events = WebhookEvent.objects.filter(processor="simulated")
    received = set(events.exclude(event_id__startswith="reconcile-").values_list("event_id",
                                                                                flat=True))  # fmt: skip
    result.webhooks_sent = len(sent)
    result.webhooks_received = len(received)
    result.webhooks_processed = (
        events.exclude(event_id__startswith="reconcile-").exclude(outcome="").count()
    )
    result.webhooks_lost = sorted(sent - received)
    result.reconciled_payments = events.filter(event_id__startswith="reconcile-").count()

    notified = {
        n.payload["header"]["functionCallIdentifier"] for n in ProgressNotification.objects.all()
    }
    applied = set(ProgressReport.objects.values_list("call_id", flat=True))
    result.notifications_sent = len(notified)
    result.notifications_applied = len(notified & applied)
    result.notifications_lost = sorted(notified - applied)

    result.es2_calls = Es2Attempt.objects.count()
    result.es2_answers_lost = Es2Attempt.objects.filter(message__startswith="reconciled").count()
    result.deliveries_retried = (
        WebhookDelivery.objects.filter(session__in=ours, attempts__gt=1).count()
        + ProgressNotification.objects.filter(attempts__gt=1).count()
    )
    result.checkouts_abandoned = ours.filter(status=GatewaySession.Status.OPEN).count()
    _tally_suppliers(result, ledgers or {})
    return result


def _tally_suppliers(result: Tally, ledgers: dict[str, dict]) -> None:
    """Wholesalers (ADR 0020): one order a transaction id at the supplier, one
    profile an order, every extra one reconciled."""
    from roamwise.suppliers.models import Allocation, WebhookReceipt

    allocations = Allocation.objects.exclude(order=None)
    result.supplier_orders = allocations.count()
    fulfilled = allocations.filter(disposition=Allocation.Disposition.FULFILLED)
    result.supplied = Counter(fulfilled.values_list("supplier", flat=True))
    twice = Counter(fulfilled.values_list("order_id", flat=True))
    result.provisioned_twice += [f"order {pk}" for pk, n in twice.items() if n > 1]
    result.supplier_failovers = allocations.filter(
        disposition__in=(
            Allocation.Disposition.ABANDONED,
            Allocation.Disposition.CANCELLED,
            Allocation.Disposition.KEPT,
        )
    ).count()
    result.supplier_extra_profiles = allocations.filter(
        disposition__in=(Allocation.Disposition.CANCELLED, Allocation.Disposition.KEPT)
    ).count()
    for supplier, ledger in sorted(ledgers.items()):
        placed = Counter(order["transaction_id"] for order in ledger["orders"])
        result.supplier_ordered_twice += [f"{supplier}:{tid}" for tid, n in placed.items() if n > 1]
        result.supplier_notifications_sent += ledger["notifications"]
        # Placed at the supplier, but no reference or profile ever reached us.
        unknown = set(
            allocations.filter(supplier=supplier, reference="", iccid="").values_list(
                "transaction_id", flat=True
            )
        )
        result.supplier_answers_lost += sorted(set(placed) & unknown)
    result.supplier_notifications_applied = WebhookReceipt.objects.count()


# --- Processes ---------------------------------------------------------------------


def stock_and_customers(*, customers: int, username: str, password: str) -> None:
    """The SM-DP+'s profiles in the shop's list, a plan whose profile it does
    not stock, and ``customers`` verified customers named ``<username><n>``
    (Django set up). Shared with scripts/scale.py."""
    from allauth.account.models import EmailAddress

    from roamwise.accounts.models import User
    from roamwise.catalog.models import Plan

    # The operator's batch, as the vendor lists it: ordered by ICCID, a lost
    # DownloadOrder is settled with SGP.22's functions (ADR 0006).
    from roamwise.esims.services.provisioning import profile_stock_add
    from roamwise.smdp.models import SmdpProfile

    profile_stock_add(
        profile_type="roamwise-standard",
        iccids=list(
            SmdpProfile.objects.filter(profile_type="roamwise-standard").values_list(
                "iccid", flat=True
            )
        ),
    )
    # A plan whose profile the SM-DP+ does not stock: its orders fail and are refunded.
    Plan.objects.filter(destination__code="JP", data_mb=1024).update(
        profile_type="roamwise-unstocked"
    )
    for n in range(customers):
        user = User.objects.create_user(
            username=f"{username}{n}", email=f"{username}{n}@example.com", password=password
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Piece:
    """One process of the system, in its own session so that it and its children
    (gunicorn workers) are stopped together, by their process group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.command, self.env = name, command, env
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        output = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            self.command, env=self.env, cwd=ROOT, stdout=output, stderr=output,
            start_new_session=True,
        )  # fmt: skip

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def recreate_databases(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for database in (name, f"{name}_vault"):
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')


def ready_at_our_smdp(esims: Any) -> Any:
    """The eSIMs a phone downloads from the SM-DP+ stand-in: not a wholesaler's,
    which its own SM-DP+ serves (the stand-ins have none to download from)."""
    from roamwise.suppliers.models import Allocation

    return esims.exclude(order__allocations__disposition=Allocation.Disposition.FULFILLED)


# --- Customers ----------------------------------------------------------------------


class Customer:
    def __init__(self, web: str, username: str) -> None:
        import requests

        self.web = web
        self.http = requests.Session()
        answer = self.http.post(
            f"{web}/_allauth/app/v1/auth/login",
            json={"username": username, "password": PASSWORD},
            timeout=30,
        )
        answer.raise_for_status()
        self.http.headers["X-Session-Token"] = answer.json()["meta"]["session_token"]

    def buy(self, plan_id: str, key: str, log: list[str]) -> str | None:
        """Order and pay, trying again as a person would when something fails."""
        import requests

        order_id = None
        for attempt in range(30):
            try:
                if order_id is None:
                    answer = self.http.post(
                        f"{self.web}/api/v1/orders",
                        json={"plan_id": plan_id, "billing": BILLING},
                        headers={"Idempotency-Key": key},
                        timeout=30,
                    )
                    if answer.status_code != 201:
                        raise RuntimeError(f"order: {answer.status_code} {answer.text[:100]}")
                    order_id = answer.json()["id"]
                answer = self.http.post(f"{self.web}/api/v1/orders/{order_id}/pay", timeout=30)
                if answer.status_code == 409:  # paid meanwhile (an earlier try went through)
                    return str(order_id)
                if answer.status_code != 200:
                    raise RuntimeError(f"pay: {answer.status_code} {answer.text[:100]}")
                self.pay_on_hosted_page(answer.json()["payment_url"])
                return str(order_id)
            except (requests.RequestException, RuntimeError, KeyError, ValueError) as exc:
                log.append(f"{key} try {attempt + 1}: {exc}")
                time.sleep(1)
        return str(order_id) if order_id else None

    def pay_on_hosted_page(self, url: str) -> None:
        import requests

        browser = requests.Session()
        page = browser.get(url, timeout=30)
        if page.status_code == 302 or "/orders/" in page.url:
            return  # already paid
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError(f"hosted page: {page.status_code}")
        answer = browser.post(
            url,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "card_number": "4242 4242 4242 4242",
                "exp_month": "12",
                "exp_year": "34",
                "cvc": "123",
            },
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"card: {answer.status_code}")


# --- The scenario -------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = Path(args.data_dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "logs").mkdir(parents=True)
        self.ports = {
            name: free_port()
            for name in ("web", "smdp", "gateway", "network", "redis", "airalo", "esimaccess")
        }
        self.suppliers = {
            "airalo": f"http://127.0.0.1:{self.ports['airalo']}",
            "esimaccess": f"http://127.0.0.1:{self.ports['esimaccess']}",
        }
        web = f"http://127.0.0.1:{self.ports['web']}"
        self.web = web
        self.smdp = f"http://127.0.0.1:{self.ports['smdp']}"
        self.gateway = f"http://127.0.0.1:{self.ports['gateway']}/gateway"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))},
            "DJANGO_SETTINGS_MODULE": "roamwise.settings",
            "DATABASE_URL": f"{args.postgres}/{args.database}",
            "VAULT_DATABASE_URL": f"{args.postgres}/{args.database}_vault",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "CACHE_KEY_PREFIX": "faults",
            "HUEY_NAME": "faults",
            "HUEY_WORKERS": "4",
            "ROAMWISE_DATA_DIR": str(self.dir),
            "SITE_URL": web,
            "GATEWAY_URL": self.gateway,
            "GATEWAY_SECRET_KEY": secrets.token_urlsafe(24),
            "GATEWAY_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "GATEWAY_DUPLICATE_RATE": "0.3",
            "ES2PLUS_URL": self.smdp,
            "SMDP_NOTIFICATION_URL": f"{web}/esims/es2plus/handleDownloadProgressInfo",
            "ES2PLUS_NOTIFICATION_SECRET": secrets.token_urlsafe(24),
            "NETWORK_PARTNER_URL": f"http://127.0.0.1:{self.ports['network']}",
            "ES2PLUS_TIMEOUT_SECONDS": "2",
            "HTTP_TIMEOUT_SECONDS": "2",
            "RECOVERY_AFTER_SECONDS": "30",
            "AIRALO_API_BASE": f"{self.suppliers['airalo']}/v2",
            "AIRALO_CLIENT_ID": "faults-client",
            "AIRALO_CLIENT_SECRET": secrets.token_urlsafe(24),
            "ESIMACCESS_API_BASE": self.suppliers["esimaccess"],
            "ESIMACCESS_ACCESS_CODE": secrets.token_urlsafe(24),
            "ESIMACCESS_WEBHOOK_TOKEN": secrets.token_urlsafe(24),
            "SUPPLIER_MAX_RETRY_WAIT": "3",
            "SIMULATOR_FAULTS": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
        logs = self.dir / "logs"
        manage = [PYTHON, "manage.py"]
        self.redis = Piece(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            self.env, logs,
        )  # fmt: skip
        self.web_server = Piece(
            "web",
            [PYTHON, "-m", "gunicorn", "roamwise.wsgi:application", "--bind",
             f"127.0.0.1:{self.ports['web']}", "--workers", "2", "--threads", "4"],
            self.env, logs,
        )  # fmt: skip
        self.consumer = Piece("consumer", [*manage, "run_huey"], self.env, logs)
        self.smdp_server = Piece(
            "smdp", [*manage, "run_smdp", "--bind", f"127.0.0.1:{self.ports['smdp']}"],
            self.env, logs,
        )  # fmt: skip
        self.gateway_server = Piece(
            "gateway",
            [*manage, "run_gateway", "--bind", f"127.0.0.1:{self.ports['gateway']}"],
            self.env, logs,
        )  # fmt: skip
        # The network partner's stand-in, alone as `manage.py serve` runs it (ADR 0018).
        self.network_server = Piece(
            "network",
            web_server_command(
                bind=f"127.0.0.1:{self.ports['network']}", workers=1, threads=4, quiet=True
            ),
            {**self.env, "ROAMWISE_ROOT_URLCONF": STAND_INS["network"].urlconf},
            logs,
        )
        # The wholesalers' stand-ins, alone as `manage.py serve` runs them, with the
        # fault switch (SIMULATOR_FAULTS) and notifications repeated and reordered.
        hooks = {
            "airalo": f"{web}/suppliers/webhooks/airalo/",
            "esimaccess": f"{web}/suppliers/webhooks/esimaccess/"
            f"{self.env['ESIMACCESS_WEBHOOK_TOKEN']}/",
        }
        self.supplier_servers = []
        for name in ("airalo", "esimaccess"):
            command = [
                *manage, "run_supplier_standin", name, "--port", str(self.ports[name]),
                "--webhook-url", hooks[name], "--duplicate-rate", "0.3",
            ]  # fmt: skip
            self.supplier_servers.append(Piece(name, command, self.env, logs))
        self.pieces = [
            self.redis, self.web_server, self.consumer, self.smdp_server, self.gateway_server,
            self.network_server, *self.supplier_servers,
        ]  # fmt: skip
        self.events: list[str] = []
        self.customer_log: list[str] = []
        self.started = time.time()

    def say(self, message: str) -> None:
        line = f"[{time.time() - self.started:6.1f}s] {message}"
        self.events.append(line)
        print(line, flush=True)

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own command
            [PYTHON, "manage.py", *args], env=self.env, cwd=ROOT, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def prepare(self) -> None:
        self.say(f"databases {self.args.database} and {self.args.database}_vault, afresh")
        recreate_databases(self.args.postgres, self.args.database)
        self.redis.start()
        self.manage("migrate", "--noinput")
        self.manage("migrate", "--noinput", "--database", "vault")
        self.manage("load_demo_catalog", "--if-empty")
        self.manage(
            "smdp_inventory",
            "--profile-type",
            "roamwise-standard",
            "--count",
            str(self.args.orders),
        )
        os.environ.update(self.env)
        import django

        django.setup()
        stock_and_customers(customers=self.args.customers, username="traveller", password=PASSWORD)
        self.say(
            f"{self.args.orders} profiles at the SM-DP+; every {self.args.unstocked_every}th order "
            "is for a plan it cannot serve"
        )

    def start(self) -> None:
        for piece in self.pieces[1:]:
            piece.start()
        wait_for(f"{self.web}/healthz")
        wait_for(f"{self.smdp}/admin/fault")
        wait_for(f"{self.gateway}/v1/admin/fault")
        for url in self.suppliers.values():
            wait_for(f"{url}/admin/ledger")
        self.say("web server, job consumer, SM-DP+, payment processor and wholesalers are up")
        self.manage("supplier_sync", "airalo")
        self.manage("supplier_sync", "esimaccess")
        from decimal import Decimal

        from roamwise.catalog.models import Destination, Plan
        from roamwise.suppliers.models import SupplierPackage
        from roamwise.suppliers.services import plan_sources_set

        plan = Plan.objects.create(
            destination=Destination.objects.get(code="ES"),
            name="1 GB, 7 days (wholesale)",
            data_mb=1024,
            validity_days=7,
            price=Decimal("9.99"),
        )
        packages = [
            SupplierPackage.objects.get(supplier="airalo", package_id="es-0-1gb-7days").pk,
            SupplierPackage.objects.get(supplier="esimaccess", package_id="P00000").pk,
        ]
        plan_sources_set(plan_id=plan.pk, package_ids=packages)
        self.wholesale_plan = str(plan.public_id)
        self.say("a plan supplied by Airalo first, eSIM Access second")

    def ledgers(self) -> dict[str, dict]:
        import requests

        found = {}
        for name, url in self.suppliers.items():
            with contextlib.suppress(requests.RequestException, ValueError):
                found[name] = requests.get(f"{url}/admin/ledger", timeout=10).json()
        return found

    def fault(self, system: str, mode: str, seconds: float, rate: float = 1.0) -> None:
        import requests

        url = (
            f"{self.suppliers[system]}/admin/fault"
            if system in self.suppliers
            else f"{self.smdp}/admin/fault"
            if system == "smdp"
            else f"{self.gateway}/v1/admin/fault"
        )
        requests.post(
            url,
            json={"mode": mode, "seconds": seconds, "rate": rate, "delay": 4},
            headers={"Authorization": f"Bearer {self.env['GATEWAY_SECRET_KEY']}"},
            timeout=10,
        ).raise_for_status()
        self.say(f"{system}: {mode} for {seconds:g}s" + (f" (rate {rate:g})" if rate < 1 else ""))

    def shop(self, stop: threading.Event) -> None:
        """Customers buy; phones download the eSIMs that are ready."""
        from roamwise.catalog.models import Plan

        plan_id = str(Plan.objects.get(destination__code="FR", data_mb=5120).public_id)
        unstocked_id = str(Plan.objects.get(destination__code="JP", data_mb=1024).public_id)
        customers = [
            Customer(self.web, f"traveller{n}") for n in range(self.args.customers)
        ]  # fmt: skip
        lock = threading.Lock()
        queue = list(range(self.args.orders))

        def buyer(customer: Customer) -> None:
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    number = queue.pop(0)
                plan = (
                    unstocked_id
                    if number % self.args.unstocked_every == 3
                    else self.wholesale_plan
                    if number % 3 == 1
                    else plan_id
                )
                customer.buy(plan, f"faults-{number}", self.customer_log)
                time.sleep(self.args.pace)

        threads = [threading.Thread(target=buyer, args=(c,)) for c in customers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def download(self) -> int:
        """The phone of each ready eSIM downloads it (the SM-DP+ then notifies the shop)."""
        import requests
        from django.db import close_old_connections

        from roamwise.esims.models import Esim, EsimState

        close_old_connections()
        done = 0
        for esim in ready_at_our_smdp(Esim.objects.filter(state=EsimState.READY)):
            with contextlib.suppress(requests.RequestException):
                requests.post(
                    f"{self.smdp}/device/download",
                    json={"matchingId": esim.matching_id, "eid": EID},
                    timeout=10,
                )
                done += 1
        return done

    def mid_provisioning(self, timeout: float = 20) -> bool:
        """Wait until a worker is inside an ES2+ call (its attempt row says so)."""
        from django.db import close_old_connections

        from roamwise.esims.models import Es2Attempt

        deadline = time.time() + timeout
        while time.time() < deadline:
            close_old_connections()
            if Es2Attempt.objects.filter(outcome=Es2Attempt.Outcome.SENDING).exists():
                return True
            time.sleep(0.05)
        return False

    def inflict(self) -> None:
        stop = threading.Event()
        shopping = threading.Thread(target=self.shop, args=(stop,))
        shopping.start()
        time.sleep(3)
        self.fault("smdp", "garbage", 15, rate=0.5)
        self.fault("airalo", "unavailable", 30, rate=1.0)  # down: orders go to eSIM Access
        self.fault("esimaccess", "rate_limited", 15, rate=0.5)
        time.sleep(2)
        self.fault("gateway", "slow", 12, rate=0.5)
        time.sleep(8)
        self.fault("airalo", "slow", 14, rate=1.0)  # acts, then answers too late: lost
        time.sleep(6)
        self.fault("smdp", "slow", 10)  # every call hangs past the timeout: workers are mid-call
        inside = self.mid_provisioning()
        self.consumer.kill(signal.SIGKILL)
        self.say(f"job consumer killed with SIGKILL ({'mid-provisioning' if inside else 'idle'})")
        time.sleep(3)
        self.consumer.start()
        self.say("job consumer started again")
        self.say(f"phones downloaded {self.download()} ready eSIMs")
        time.sleep(6)
        self.redis.kill(signal.SIGKILL)
        self.say("Redis killed (no persistence: every queued and scheduled job is gone)")
        time.sleep(3)
        self.redis.start()
        self.say("Redis started again, empty")
        time.sleep(2)
        self.fault("gateway", "garbage", 15, rate=0.5)
        self.fault("esimaccess", "garbage", 12, rate=0.5)  # acts, then answers garbage
        self.fault("airalo", "rate_limited", 12, rate=0.5)
        time.sleep(2)
        self.fault("smdp", "unavailable", 10, rate=0.4)
        self.say(f"phones downloaded {self.download()} ready eSIMs")
        time.sleep(12)
        self.fault("gateway", "unavailable", 8, rate=0.5)
        self.fault("esimaccess", "slow", 8, rate=0.5)
        time.sleep(8)
        shopping.join()
        self.say(f"phones downloaded {self.download()} ready eSIMs")
        for system in ("smdp", "gateway", *self.suppliers):
            self.fault(system, "none", 0)
        self.say(f"all faults off; customers tried again {len(self.customer_log)} times")

    def settle(self) -> Tally:
        from django.db import close_old_connections

        from roamwise.esims.models import Esim, EsimState
        from roamwise.gateway.models import WebhookDelivery
        from roamwise.smdp.models import ProgressNotification

        deadline = time.time() + self.args.settle
        downloaded: set[int] = set()
        while True:
            close_old_connections()
            ready = set(
                ready_at_our_smdp(Esim.objects.filter(state=EsimState.READY)).values_list(
                    "pk", flat=True
                )
            )
            if ready - downloaded:
                self.download()
                downloaded |= ready
            now = tally(self.ledgers())
            undelivered = (
                WebhookDelivery.objects.filter(delivered_at__isnull=True).count()
                + ProgressNotification.objects.filter(delivered_at__isnull=True).count()
            )
            if (not now.violations and not undelivered and not ready) or time.time() > deadline:
                return now
            time.sleep(5)

    def stop(self) -> None:
        for piece in reversed(self.pieces):
            piece.stop()

    def recoveries(self) -> list[str]:
        """What the sweeps found lost and did again (they log each time), summed."""
        found: dict[str, list[int]] = {}
        for log in (self.dir / "logs").glob("*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if "recovery:" not in line:
                    continue
                message = line.split("recovery:", 1)[1].strip()
                numbers = [int(n) for n in re.findall(r"\b\d+\b", message)]
                template = re.sub(r"\b\d+\b", "{}", message)
                if re.fullmatch(r"refund \S+ asked again", message):
                    template, numbers = "{} refunds asked again", [1]
                totals = found.setdefault(template, [0] * len(numbers))
                found[template] = [a + b for a, b in zip(totals, numbers, strict=True)]
        return [f"  {template.format(*totals)}" for template, totals in sorted(found.items())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument(
        "--unstocked-every", type=int, default=6, help="every Nth order cannot be provisioned"
    )
    parser.add_argument("--customers", type=int, default=3)
    parser.add_argument(
        "--pace", type=float, default=2.5, help="seconds between a customer's orders"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="roamwise_faults")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "roamwise-faults"))
    parser.add_argument(
        "--settle", type=float, default=900, help="seconds to wait for it to settle"
    )
    parser.add_argument("--json", help="also write the tally here")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    sys.path.insert(0, str(ROOT))
    run = Run(args)
    try:
        run.prepare()
        run.start()
        run.inflict()
        settle_started = time.time()
        result = run.settle()
        run.say(f"settled in {time.time() - settle_started:.0f}s after the faults")
    finally:
        run.stop()
    recovered = run.recoveries()
    print()
    print("\n".join(result.lines()))
    print("recovered by the sweeps (the jobs were lost):")
    print("\n".join(recovered) or "  nothing")
    if args.json:
        Path(args.json).write_text(
            json.dumps({**result.__dict__, "events": run.events, "recovered": recovered}, indent=2)
        )
    if result.violations:
        print("\nINVARIANT VIOLATED: " + "; ".join(result.violations))
        return 1
    print("\nInvariant holds: every paid order fulfilled or refunded once, no profile twice,")
    print("no webhook or notification lost.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

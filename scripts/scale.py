"""The scale-out run: many instances behind a load balancer, one killed of each kind.

    make scale                                   # SCALE_SECONDS of load, 120 by default
    .venv/bin/python scripts/scale.py --seconds 30 [--json tally.json] [--keep]

What it starts, all on loopback, each role as ``manage.py serve --role`` starts
it on a machine of its own (docs/deployment.md):

- HAProxy (Debian's ``haproxy``) with ``deploy/haproxy.cfg``, the file the
  compose deployment uses, its ``bind`` and ``server-template`` lines turned
  into a loopback port and the three web instances, and a log of every
  request it passes on (which instance answered, how it ended);
- three web instances (``serve --role web``, gunicorn), two job consumers
  (``--role worker``) and one scheduler (``--role scheduler``), each with a
  data directory of its own: the secrets and the keyring come from the
  environment, as in production, so nothing an instance needs is on its disk;
- the stand-ins for the payment processor, the SM-DP+ and the network partner,
  each on its own port, as ``make run`` starts them (``SIMULATORS``);
- on PostgreSQL, a fresh pair of databases with a unique name
  (``roamwise_scale_<random>`` and ``..._vault``), dropped at the end
  (``--keep`` keeps them); on Redis (``REDIS_URL``, or the local server), a
  unique queue name (``HUEY_NAME``) and cache key prefix, whose keys are
  deleted at the end.

What it does, for ``--seconds``:

- visitors browse the home page, a destination page and the plans API;
- new customers sign up through the app API (allauth headless), confirm their
  address with the key they were sent, and buy;
- known customers sign in and buy: an order through the API (with an
  ``Idempotency-Key``), then the card on the processor's hosted page, as
  ``bench/faults.py`` does. Every sixth order is for a plan whose profile the
  SM-DP+ does not stock: it fails and is refunded;
- a third of the way in, one web instance and one job consumer are killed
  with SIGKILL (every process of each: the ``serve`` parent, gunicorn and its
  workers, the Huey consumer) and started again a few seconds later.

A client that gets an error tries again, as a person would. Then it waits for
the work to drain (the queue empty, every paid order fulfilled or refunded,
every webhook delivered: ``--settle`` seconds at most; a job lost with the
killed consumer is found again by the sweeps after ``RECOVERY_AFTER_SECONDS``,
20 s here), stops the scheduler, lets the consumers finish and prints:

- orders paid, fulfilled, refunded, stuck (must be 0);
- doubled (must be 0): an order with two eSIMs or an eSIM profile given twice,
  an order charged twice or refunded more than once (bench/faults.py's tally);
- periodic runs per period: from the scheduler's log, each periodic job it
  enqueued for each minute, and from every consumer's log how often it ran.
  Each (job, minute) must run exactly once (ADR 0036); a run the killed
  consumer had taken from the queue is lost with it, so the kill comes well
  after a minute's runs have been taken;
- errors seen by clients: each must be a request that was in flight on the
  killed web instance (HAProxy answers 502 for it, its ``X-Served-By`` header
  and its log name the instance; or it closes the client's connection
  without an answer, naming none: any request in flight at the moment of
  the kill that ends so is counted here), or one sent while it was down on a
  keep-alive connection whose last answer came from it, closed under the
  request (no answer at all; a browser tries those again by itself). Any
  other error counts against the run. A connection the dead instance refuses
  is sent to another (``retries``, ``option redispatch``) and never seen.

Exit status 0 when the tally is clean, 1 when not, 2 when it could not run
(no haproxy, no PostgreSQL). The processes' logs stay in ``--data-dir``
(a temporary directory by default, printed at the end).
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.faults import free_port, stock_and_customers, tally  # noqa: E402

PYTHON = sys.executable
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
PASSWORD = "scale out 4 the win"  # noqa: S105 - the test customers' password
STAND_INS = ("gateway", "smdp", "network")
KILLED_WEB = "web2"
KILLED_WORKER = "worker1"


# --- The load balancer's configuration ----------------------------------------------


def loopback_haproxy_cfg(*, port: int, web_ports: dict[str, int], log: bool = True) -> str:
    """deploy/haproxy.cfg, for loopback: the same defaults, health checks and
    balancing; bound to ``port``, with a ``server`` line for each web instance
    instead of the template that finds them through the containers' DNS."""
    lines = []
    for line in HAPROXY_CFG.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("bind "):
            line = line.replace(stripped, f"bind 127.0.0.1:{port}")
        elif stripped.startswith("server-template "):
            indent = line[: len(line) - len(line.lstrip())]
            lines += [
                f"{indent}server {name} 127.0.0.1:{web_port} check"
                for name, web_port in web_ports.items()
            ]
            continue
        elif stripped.startswith("resolvers ") or stripped.startswith("nameserver "):
            continue
        lines.append(line)
        if log and stripped == "global":
            # Every request, with the instance that answered and how it ended.
            lines.append("    log stdout format raw local0")
        if log and stripped == "defaults":
            lines += ["    log global", "    option httplog"]
        if stripped.startswith("frontend "):
            # Which instance answered, for the client's record of an error.
            lines.append("    http-after-response set-header X-Served-By %s")
    return "\n".join(lines) + "\n"


# --- Processes ------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


class Piece:
    """One process of the system and what it starts, in a session of its own."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.command, self.env = name, command, env
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        output = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            self.command, env=self.env, cwd=ROOT, stdout=output, stderr=output,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the process and everything it started, all at once: as if
        its machine went away (``serve``'s children would otherwise be told to
        stop cleanly when it dies)."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in reversed(process_tree(self.process.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def answers(name: str, url: str, *, ok: int = 0, timeout: float = 120) -> None:
    """Until ``url`` answers (with ``ok``, or anything when 0)."""
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5).status_code == ok or not ok:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not answer at {url} within {timeout:g}s")


# --- What the clients saw -------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    started: float
    ended: float
    status: int  # 0: no answer at all
    served_by: str
    error: str = ""


@dataclass
class Clients:
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    signed_up: int = 0
    orders: int = 0
    paid: int = 0

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    @property
    def errors(self) -> list[Request]:
        return [r for r in self.requests if r.status == 0 or r.status >= 500]


class Shopper:
    """One person's browser or app, through the load balancer."""

    def __init__(self, shop: str, clients: Clients) -> None:
        import requests

        self.shop, self.clients = shop, clients
        self.http = requests.Session()
        self.last_served_by = ""

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        started = time.time()
        try:
            answer = self.http.request(method, f"{self.shop}{path}", timeout=30, **kwargs)
        except requests.RequestException as exc:
            # No answer at all: the connection was closed under it. It was the
            # connection HAProxy had paired with the instance that last answered.
            self.clients.record(
                Request(method, path, started, time.time(), 0, self.last_served_by, str(exc))
            )
            return None
        self.last_served_by = answer.headers.get("X-Served-By", "")
        self.clients.record(
            Request(method, path, started, time.time(), answer.status_code, self.last_served_by)
        )
        return answer

    def again(self, method: str, path: str, ok: tuple[int, ...], **kwargs: Any) -> Any:
        """The request until it gets an answer in ``ok``, as a person tries again."""
        for _ in range(20):
            answer = self.call(method, path, **kwargs)
            if answer is not None and answer.status_code in ok:
                return answer
            time.sleep(0.5)
        raise RuntimeError(f"{method} {path}: no answer in {ok}")

    def browse(self) -> None:
        self.again("GET", "/", (200,))
        self.again("GET", "/destinations/fr/", (200,))
        self.again("GET", "/api/v1/destinations/FR/plans", (200,))

    def headless(self, path: str, body: dict[str, Any], ok: tuple[int, ...]) -> Any:
        return self.again("POST", f"/_allauth/app/v1{path}", ok, json=body)

    def sign_up(self, username: str) -> None:
        """Sign up through the app API, then confirm the address with the code
        the confirmation message carries (read where the shop keeps it for the
        pending sign-up, the session, as the customer would read it in their
        mailbox)."""
        from importlib import import_module

        from allauth.account.internal.flows.email_verification_by_code import (
            EMAIL_VERIFICATION_CODE_SESSION_KEY,
        )
        from django.conf import settings
        from django.db import close_old_connections

        email = f"{username}@example.com"
        answer = self.headless(
            "/auth/signup",
            {
                "username": username, "email": email, "password": PASSWORD,
                "phone": "+447911123456", "date_of_birth": "1990-01-01",
            },
            (401,),  # account made, its address to confirm (ACC-01)
        )  # fmt: skip
        token = answer.json()["meta"]["session_token"]
        self.http.headers["X-Session-Token"] = token
        close_old_connections()
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=token)
        code = session[EMAIL_VERIFICATION_CODE_SESSION_KEY]["code"]
        # Confirmed; signed in already (200) or to sign in now (401, no flow pending).
        self.headless("/auth/email/verify", {"key": code}, (200, 401))
        del self.http.headers["X-Session-Token"]
        self.sign_in(username)
        with self.clients.lock:
            self.clients.signed_up += 1

    def sign_in(self, username: str) -> None:
        answer = self.headless("/auth/login", {"username": username, "password": PASSWORD}, (200,))
        self.http.headers["X-Session-Token"] = answer.json()["meta"]["session_token"]

    def buy(self, plan_id: str, key: str) -> None:
        from roamwise.testing.shopping import BILLING_API, TERMS_ACCEPTED

        answer = self.again(
            "POST",
            "/api/v1/orders",
            (201,),
            json={"plan_id": plan_id, "billing": {**BILLING_API, **TERMS_ACCEPTED}},
            headers={"Idempotency-Key": key},
        )
        order_id = answer.json()["id"]
        with self.clients.lock:
            self.clients.orders += 1
        answer = self.again("POST", f"/api/v1/orders/{order_id}/pay", (200, 409))
        if answer.status_code == 409:
            return
        self.pay_on_hosted_page(answer.json()["payment_url"])
        with self.clients.lock:
            self.clients.paid += 1

    def pay_on_hosted_page(self, url: str) -> None:
        """The card on the processor's page (its own address, not the shop's)."""
        import requests

        browser = requests.Session()
        page = browser.get(url, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError(f"hosted page: {page.status_code}")
        card = {
            "csrfmiddlewaretoken": token.group(1),
            "card_number": "4242 4242 4242 4242",
            "exp_month": "12",
            "exp_year": "40",
            "cvc": "123",
        }
        answer = browser.post(
            url, data=card, headers={"Referer": url}, allow_redirects=False, timeout=30
        )
        if answer.status_code != 302:
            raise RuntimeError(f"card: {answer.status_code}")


# --- The run --------------------------------------------------------------------------


@dataclass
class Periodic:
    enqueued: dict[str, tuple[str, str]]  # task id -> (job, minute)
    runs: Counter[str]  # task id -> runs
    cancelled: Counter[str]  # task id -> copies cancelled (ADR 0036)

    def per_period(self) -> Counter[tuple[str, str]]:
        found: Counter[tuple[str, str]] = Counter()
        for task_id, period in self.enqueued.items():
            found[period] += self.runs[task_id]
        return found

    def violations(self) -> list[str]:
        bad = [
            f"{job} {minute}: {n} runs" for (job, minute), n in self.per_period().items() if n != 1
        ]
        return sorted(bad)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = Path(args.data_dir or tempfile.mkdtemp(prefix="roamwise-scale-"))
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        # Letters and digits only: Huey keeps only those of its name in its keys.
        self.unique = f"scale{secrets.token_hex(4)}"
        self.database = f"roamwise_{self.unique}"
        self.lb_port = free_port()
        self.web_ports = {f"web{n}": free_port() for n in (1, 2, 3)}
        self.stand_in_ports = {name: free_port() for name in STAND_INS}
        self.shop = f"http://127.0.0.1:{self.lb_port}"
        self.started = time.time()
        self.events: list[str] = []
        self.kills: dict[str, float] = {}
        self.back: dict[str, float] = {}
        self.clients = Clients()
        self.made_databases = False
        secret_dir = self.dir / "secrets"
        secret_dir.mkdir(exist_ok=True)
        keyring = secret_dir / "keyring.json"
        redis_url = args.redis
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DATABASE", "VAULT_DATABASE", "EU_DATABASE", "REDIS"))
                and k not in ("GATEWAY_URL", "ES2PLUS_URL", "NETWORK_PARTNER_URL",
                              "AIRALO_API_BASE", "ESIMACCESS_API_BASE", "SERVE_ROLE",
                              "BIND", "ROAMWISE_KEYRING_FILE", "PROMETHEUS_MULTIPROC_DIR")
            },
            "DJANGO_SETTINGS_MODULE": "roamwise.settings",
            **self.databases(),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": self.unique,
            "HUEY_NAME": f"roamwise-{self.unique}",
            "HUEY_WORKERS": "4",
            "SITE_URL": self.shop,
            "SIMULATORS": ",".join(STAND_INS),
            "SIMULATOR_PORTS": ",".join(f"{n}={p}" for n, p in self.stand_in_ports.items()),
            # Given, as production gives them: no instance makes its own (ADR 0036).
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ROAMWISE_KEYRING_FILE": str(keyring),
            "SUPPORT_INBOUND_SECRET": secrets.token_urlsafe(24),
            "GATEWAY_SECRET_KEY": secrets.token_urlsafe(24),
            "GATEWAY_WEBHOOK_SECRET": secrets.token_urlsafe(24),
            "ES2PLUS_TOKEN": secrets.token_urlsafe(24),
            "ES2PLUS_NOTIFICATION_SECRET": secrets.token_urlsafe(24),
            "NETWORK_PARTNER_API_KEY": secrets.token_urlsafe(24),
            "STATIC_ROOT": str(self.dir / "static"),
            "RECOVERY_AFTER_SECONDS": str(args.recovery_after),
            # A processor takes its time: a checkout holds a web thread meanwhile,
            # so the killed instance has requests in flight.
            "GATEWAY_LATENCY_SECONDS": str(args.processor_latency),
            # The SM-DP+ stand-in answers at once: a shorter wait than a real
            # one's, and so a shorter lease on an eSIM whose worker was killed.
            "ES2PLUS_TIMEOUT_SECONDS": "3",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "plain",
            "ROAMWISE_DATA_DIR": str(self.dir / "driver"),
        }  # fmt: skip
        (self.dir / "driver").mkdir(exist_ok=True)
        os.environ.update(self.env)
        from roamwise.core.keyring import new_keyring_json

        keyring.write_text(new_keyring_json())
        keyring.chmod(0o600)

        manage = [PYTHON, "manage.py"]
        self.pieces: dict[str, Piece] = {}
        for name, port in self.web_ports.items():
            self.add(name, [*manage, "serve", "--role", "web", "--bind", f"127.0.0.1:{port}",
                            "--workers", "1", "--threads", "8"])  # fmt: skip
        for name in ("worker1", "worker2"):
            self.add(name, [*manage, "serve", "--role", "worker"])
        self.add("scheduler", [*manage, "serve", "--role", "scheduler"])
        self.haproxy_cfg = self.dir / "haproxy.cfg"
        self.haproxy_cfg.write_text(
            loopback_haproxy_cfg(port=self.lb_port, web_ports=self.web_ports)
        )
        self.add("haproxy", ["haproxy", "-db", "-f", str(self.haproxy_cfg)])

    def databases(self) -> dict[str, str]:
        if self.args.existing:
            # Migrated already (the scale test gives its own test databases).
            urls = {key: os.environ.get(key, "") for key in ("DATABASE_URL", "VAULT_DATABASE_URL")}
            if not all(url.startswith("postgres") for url in urls.values()):
                raise SystemExit(
                    "--existing needs DATABASE_URL and VAULT_DATABASE_URL (PostgreSQL)"
                )
            return urls
        return {
            "DATABASE_URL": f"{self.args.postgres}/{self.database}",
            "VAULT_DATABASE_URL": f"{self.args.postgres}/{self.database}_vault",
        }

    def add(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        # Each instance has a disk of its own: what one writes, another never reads.
        data_dir = self.dir / name
        data_dir.mkdir(exist_ok=True)
        self.pieces[name] = Piece(
            name, command, {**(env or self.env), "ROAMWISE_DATA_DIR": str(data_dir)}, self.logs
        )

    def say(self, message: str) -> None:
        line = f"[{time.time() - self.started:6.1f}s] {message}"
        self.events.append(line)
        print(line, flush=True)

    # -- setting up

    def prepare(self) -> None:
        import django

        if not self.args.existing:
            import psycopg

            with psycopg.connect(f"{self.args.postgres}/postgres", autocommit=True) as connection:
                for database in (self.database, f"{self.database}_vault"):
                    connection.execute(f'CREATE DATABASE "{database}"')
            self.made_databases = True
            self.say(f"databases {self.database} and {self.database}_vault made")
        django.setup()
        from django.core.management import call_command

        # What `make migrate` does, in this process (one start-up).
        quiet = {"verbosity": 0}
        if not self.args.existing:
            call_command("migrate", interactive=False, **quiet)
            call_command("migrate", database="vault", interactive=False, **quiet)
        call_command("createcachetable", **quiet)

    def load_data(self) -> None:
        """What `make demo` loads, and the customers; while the processes start."""
        from django.core.management import call_command

        from roamwise.catalog.models import Plan

        quiet = {"verbosity": 0}
        call_command("policy_load", **quiet)
        call_command("load_demo_catalog", if_empty=True, **quiet)
        # The stand-ins, on record as screened and bound to confidentiality (SHR-07).
        call_command("partner_vetting", demo=True, **quiet)
        call_command(
            "smdp_inventory",
            profile_type="roamwise-standard",
            count=int(100 + 5 * self.args.seconds),
            **quiet,
        )
        stock_and_customers(customers=self.args.customers, username="regular", password=PASSWORD)
        self.plan = str(Plan.objects.get(destination__code="FR", data_mb=5120).public_id)
        self.unstocked = str(Plan.objects.get(destination__code="JP", data_mb=1024).public_id)
        self.say("catalogue, SM-DP+ stock and customers ready")

    def launch(self) -> None:
        from django.conf import settings
        from django.db import close_old_connections

        from roamwise.core.management.commands.serve import stand_in_children

        close_old_connections()
        # As `serve` starts them for `make run`, in the order SIMULATORS lists them.
        children = stand_in_children(threads=8, env=self.env)
        for name, child in zip(settings.SIMULATORS, children, strict=True):
            self.add(name, child.command, child.env)
        for piece in self.pieces.values():
            piece.start()

    def wait_ready(self) -> None:
        for name, port in self.stand_in_ports.items():
            answers(name, f"http://127.0.0.1:{port}/")
        for name, port in self.web_ports.items():
            answers(name, f"http://127.0.0.1:{port}/readyz", ok=200)
        self.wait_lb_up(set(self.web_ports))
        self.say(
            "HAProxy, 3 web instances, 2 job consumers, 1 scheduler and the stand-ins "
            f"({', '.join(STAND_INS)}) are up; the shop is {self.shop}"
        )

    def wait_lb_up(self, names: set[str], timeout: float = 60) -> None:
        """Until HAProxy's health checks have every one of ``names`` in service."""
        import requests

        deadline = time.time() + timeout
        seen: set[str] = set()
        while time.time() < deadline and seen != names:
            with contextlib.suppress(requests.RequestException):
                answer = requests.get(f"{self.shop}/livez", timeout=5)
                seen.add(answer.headers.get("X-Served-By", ""))
            time.sleep(0.1)
        if not names <= seen:
            raise RuntimeError(f"HAProxy never sent a request to {sorted(names - seen)}")

    # -- the load

    def customer(self, number: int, deadline: float, stop: threading.Event) -> None:
        """Browse, buy, now and then bring a friend who signs up and buys too."""
        visitor = Shopper(self.shop, self.clients)
        shopper = Shopper(self.shop, self.clients)
        round_ = 0
        while time.time() < deadline and not stop.is_set():
            try:
                if "X-Session-Token" not in shopper.http.headers:
                    shopper.sign_in(f"regular{number}")
                visitor.browse()
                order = number * 10_000 + round_
                plan = self.unstocked if order % 6 == 3 else self.plan
                shopper.buy(plan, f"{self.unique}-{order}")
                if round_ % 3 == 1 and self.signups_allowed():
                    newcomer = Shopper(self.shop, self.clients)
                    newcomer.sign_up(f"new{number}x{round_}")
                    newcomer.buy(self.plan, f"{self.unique}-new-{number}-{round_}")
            except Exception as exc:  # noqa: BLE001 - reported in the tally, never lost
                self.failures.append(f"customer {number}: {exc!r}")
            round_ += 1
            time.sleep(self.args.pace)

    def signups_allowed(self) -> bool:
        """Sign-ups stay under allauth's 20 a minute from one address: every
        request reaches the shop from HAProxy's."""
        with self.clients.lock:
            minutes = (time.time() - self.load_started) / 60
            return self.clients.signed_up < 12 * max(minutes, 1)

    def drive(self) -> None:
        seconds = self.args.seconds
        self.failures: list[str] = []
        self.load_started = time.time()
        deadline = self.load_started + seconds
        stop = threading.Event()
        # Daemons: a run stopped early (Ctrl-C) does not wait for them.
        threads = [
            threading.Thread(target=self.customer, args=(n, deadline, stop), daemon=True)
            for n in range(self.args.customers)
        ]
        for thread in threads:
            thread.start()
        self.say(f"{self.args.customers} customers shop for {seconds:g}s")
        # The kills, a third of the way in, kept clear of the moment the scheduler
        # enqueues the periodic runs: a run the killed consumer had taken would be
        # lost with it.
        time.sleep(seconds / 3)
        self.clear_of_the_schedule()
        self.kill_and_restart()
        for thread in threads:
            thread.join()
        self.say(
            f"load done: {self.clients.signed_up} sign-ups, {self.clients.orders} orders, "
            f"{self.clients.paid} paid on the processor's page, "
            f"{len(self.clients.requests)} requests"
        )

    def clear_of_the_schedule(self) -> None:
        """Until the periodic runs the scheduler last enqueued (every 60 s from
        its start, its log says when) are well done, and the next are not due."""
        stamps = re.findall(
            r"^(\S+ \d\d:\d\d:\d\d),\d+ .*Enqueueing periodic task",
            (self.logs / "scheduler.log").read_text(errors="replace"),
            re.MULTILINE,
        )
        if not stamps:
            return
        last = time.mktime(time.strptime(stamps[-1], "%Y-%m-%d %H:%M:%S"))
        while not 10 <= (time.time() - last) % 60 <= 50:
            time.sleep(0.5)

    def kill_and_restart(self) -> None:
        web, worker = self.pieces[KILLED_WEB], self.pieces[KILLED_WORKER]
        killed_at = time.time()
        web.kill()
        worker.kill()
        self.say(f"{KILLED_WEB} and {KILLED_WORKER} killed with SIGKILL (every process)")
        time.sleep(self.args.down_seconds)
        web.start()
        worker.start()
        answers(KILLED_WEB, f"http://127.0.0.1:{self.web_ports[KILLED_WEB]}/readyz", ok=200)
        self.kills[KILLED_WEB] = killed_at
        self.back[KILLED_WEB] = time.time()
        self.say(f"{KILLED_WEB} and {KILLED_WORKER} started again")

    # -- the end

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.env["REDIS_URL"])

    def queue_length(self) -> int:
        from huey.contrib.djhuey import HUEY

        return int(HUEY.pending_count() + HUEY.scheduled_count())

    def settle(self) -> Any:
        """Until the queue is empty and every paid order has its outcome."""
        from django.db import close_old_connections

        from roamwise.gateway.models import WebhookDelivery

        deadline = time.time() + self.args.settle
        while True:
            close_old_connections()
            now = tally({})
            undelivered = WebhookDelivery.objects.filter(delivered_at__isnull=True).count()
            queued = self.queue_length()
            if (not now.stuck and not undelivered and not queued) or time.time() > deadline:
                return now
            time.sleep(1)

    def stop_scheduler_and_drain(self) -> None:
        self.pieces["scheduler"].stop()
        deadline = time.time() + 30
        while self.queue_length() and time.time() < deadline:
            time.sleep(0.5)

    def stop(self) -> None:
        """Everything at once: each finishes what it is doing (SIGTERM)."""
        running = [p for p in self.pieces.values() if p.process and p.process.poll() is None]
        for piece in running:
            piece.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for piece in running:
            piece.stop()

    def periodic(self) -> Periodic:
        """From the logs: what the scheduler enqueued for each minute, and how
        often each was run (or cancelled as a copy) by any consumer."""
        enqueued: dict[str, tuple[str, str]] = {}
        runs: Counter[str] = Counter()
        cancelled: Counter[str] = Counter()
        uuid = r"[0-9a-f-]{36}"
        for line in (self.logs / "scheduler.log").read_text(errors="replace").splitlines():
            found = re.search(
                rf"^(\S+ \d\d:\d\d):\d\d.*Enqueueing periodic task (\S+): ({uuid})", line
            )
            if found:
                enqueued[found.group(3)] = (found.group(2), found.group(1))
        for name in ("scheduler", "worker1", "worker2"):
            for line in (self.logs / f"{name}.log").read_text(errors="replace").splitlines():
                done = re.search(rf"\S+: ({uuid})\S*(?: \S+)* executed in ", line)
                if done is None:
                    done = re.search(rf"Unhandled exception in task ({uuid})", line)
                if done:
                    runs[done.group(1)] += 1
                copy = re.search(rf"Task \S+: ({uuid}).* cancelled by", line)
                if copy:
                    cancelled[copy.group(1)] += 1
        return Periodic(enqueued, runs, cancelled)

    def claims(self) -> int:
        """The (job, minute) claims the consumers made in the shared cache (ADR 0036)."""
        from roamwise.core.tasks import ONCE_KEY

        pattern = f"{self.unique}:*:{ONCE_KEY.format('*', '*')}"
        return sum(1 for _ in self.redis().scan_iter(match=pattern, count=1000))

    def client_errors(self) -> tuple[list[Request], list[Request], list[Request]]:
        """The errors clients saw: requests in flight on the killed instance when
        it died (sent before, answered after, by HAProxy for it: 502, or the
        connection closed without an answer); requests
        sent, while it was down, on a connection whose last answer came from it
        and which was closed under them (no answer at all, a browser would try
        again); and the rest, which count against the run."""
        killed_at = self.kills.get(KILLED_WEB, 0.0)
        back_at = self.back.get(KILLED_WEB, 0.0)
        in_flight: list[Request] = []
        closed: list[Request] = []
        other: list[Request] = []
        for request in self.clients.errors:
            during = request.started <= killed_at <= request.ended
            if during and (request.status == 502 and request.served_by == KILLED_WEB):
                in_flight.append(request)
            elif during and request.status == 0:
                # Seen when the instance dies under a request: HAProxy closes the
                # client's connection without an answer (and logs nothing), as
                # for a kept-alive server connection that fails; a browser tries
                # again on a new one. No instance is named.
                in_flight.append(request)
            elif (
                request.status == 0
                and request.served_by == KILLED_WEB
                and killed_at <= request.started <= back_at + 5
            ):
                closed.append(request)
            else:
                other.append(request)
        return in_flight, closed, other

    def cleanup(self) -> None:
        with contextlib.suppress(Exception):
            client = self.redis()
            for pattern in (f"*{self.unique}*",):
                for key in client.scan_iter(match=pattern, count=1000):
                    client.delete(key)
        if not self.made_databases:
            return
        if self.args.keep:
            self.say(f"databases {self.database} and {self.database}_vault kept")
            return
        from django.db import connections

        connections.close_all()
        import psycopg

        with (
            contextlib.suppress(psycopg.OperationalError),
            psycopg.connect(f"{self.args.postgres}/postgres", autocommit=True) as connection,
        ):
            for database in (self.database, f"{self.database}_vault"):
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def report(run: Run, result: Any, periodic: Periodic, claims: int) -> dict[str, Any]:
    expected, closed, other = run.client_errors()
    periods = periodic.per_period()
    jobs = Counter(job for job, _ in periods)
    doubled = sorted(set(result.provisioned_twice) | set(result.refunded_twice)) + charged_twice()
    violations = []
    if result.stuck:
        violations.append(f"{len(result.stuck)} paid orders neither fulfilled nor refunded")
    if doubled:
        violations.append(f"{len(doubled)} doubled: {' '.join(doubled[:5])}")
    if periodic.violations():
        violations.append(
            "periodic jobs not run exactly once: " + "; ".join(periodic.violations()[:5])
        )
    if not periods:
        violations.append("no periodic job was scheduled")
    if claims != len(periods):
        violations.append(f"{claims} claims in the cache for {len(periods)} periodic runs")
    if other:
        violations.append(f"{len(other)} client errors not in flight on the killed instance")
    if run.failures:
        violations.append(f"{len(run.failures)} purchases given up: {run.failures[:3]}")
    if result.orders_paid == 0:
        violations.append("no order was paid")
    summary = {
        "orders_paid": result.orders_paid,
        "fulfilled": result.fulfilled,
        "refunded": result.refunded,
        "stuck": result.stuck,
        "doubled": doubled,
        "sign_ups": run.clients.signed_up,
        "requests": len(run.clients.requests),
        "periods": len(periods),
        "periodic_runs_per_period": dict(Counter(periods.values())),
        "periodic_jobs": dict(sorted(jobs.items())),
        "periodic_copies_cancelled": sum(periodic.cancelled.values()),
        "periodic_claims": claims,
        "client_errors_in_flight_on_killed": len(expected),
        "client_errors_connection_of_killed": len(closed),
        "client_errors_other": [describe(r, run.kills.get(KILLED_WEB, 0.0)) for r in other],
        "violations": violations,
        "events": run.events,
    }  # fmt: skip
    lines = [
        f"orders paid                {result.orders_paid}",
        f"  fulfilled                {result.fulfilled}",
        f"  refunded                 {result.refunded}",
        f"  stuck                    {len(result.stuck)}  {' '.join(result.stuck[:5])}".rstrip(),
        f"  doubled                  {len(doubled)}  (two eSIMs, profiles, charges or refunds)",
        f"sign-ups                   {run.clients.signed_up}",
        f"requests through HAProxy   {len(run.clients.requests)}",
        f"periodic runs per period   {dict(sorted(Counter(periods.values()).items()))}"
        f"  ({len(periods)} (job, minute) periods of {len(jobs)} jobs; must all be 1)",
        f"  claimed in the cache     {claims}  (run_periodic_jobs_once, ADR 0036)",
        f"  copies cancelled         {sum(periodic.cancelled.values())}",
        f"client errors              {len(expected) + len(closed) + len(other)}",
        f"  {'in flight on ' + KILLED_WEB:<25}{len(expected)}",
        f"  its connection closed    {len(closed)}  (kept alive from its last answer)",
        f"  other                    {len(other)}",
    ]
    lines += [f"    {line}" for line in summary["client_errors_other"][:10]]
    print()
    print("\n".join(lines))
    return summary


def describe(request: Request, killed_at: float) -> str:
    line = (
        f"{request.started - killed_at:+.1f}s from the kill: {request.method} {request.path} "
        f"{request.status} {request.served_by} {request.error}"
    )
    return line[:200]


def charged_twice() -> list[str]:
    """Orders with more than one successful charge at the processor."""
    from roamwise.gateway.models import GatewaySession
    from roamwise.orders.models import Order

    references = Counter(
        GatewaySession.objects.filter(status=GatewaySession.Status.SUCCEEDED).values_list(
            "merchant_reference", flat=True
        )
    )
    ours = {str(o) for o in Order.objects.values_list("public_id", flat=True)}
    return [f"charged twice {ref}" for ref, n in references.items() if n > 1 and ref in ours]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("SCALE_SECONDS") or 120),
        help="how long the customers shop (SCALE_SECONDS; 120 by default)",
    )  # fmt: skip
    parser.add_argument("--customers", type=int, default=4, help="customers shopping at once")
    parser.add_argument(
        "--pace", type=float, default=0.5, help="seconds between a customer's orders"
    )
    parser.add_argument(
        "--down-seconds", type=float, default=3, help="how long the killed stay down"
    )
    parser.add_argument(
        "--processor-latency", type=float, default=0.5,
        help="seconds the processor stand-in takes to answer (GATEWAY_LATENCY_SECONDS)",
    )  # fmt: skip
    parser.add_argument("--recovery-after", type=int, default=20, help="RECOVERY_AFTER_SECONDS")
    parser.add_argument(
        "--settle", type=float, default=180, help="seconds to wait for the work to drain"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument(
        "--data-dir", default="", help="logs and each instance's disk (a temporary directory)"
    )
    parser.add_argument("--json", help="also write the tally here")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--existing", action="store_true",
        help="use DATABASE_URL and VAULT_DATABASE_URL as they are, migrated (the scale test's)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if shutil.which("haproxy") is None:
        print("haproxy is needed: apt-get install haproxy", file=sys.stderr)
        return 2
    # Stopped (Ctrl-C, SIGTERM): everything it started stops, its databases go.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    run = Run(args)
    try:
        try:
            run.prepare()
        except Exception as exc:  # noqa: BLE001 - no database server, most likely
            print(f"could not set up: {exc}", file=sys.stderr)
            return 2
        try:
            run.launch()
            run.load_data()
            run.wait_ready()
            run.drive()
            settle_started = time.time()
            run.settle()
            run.say(f"drained {time.time() - settle_started:.0f}s after the load")
            run.stop_scheduler_and_drain()
        finally:
            run.stop()
        summary = report(run, tally({}), run.periodic(), run.claims())
    finally:
        run.cleanup()
    print(f"\nlogs: {run.logs}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if summary["violations"]:
        print("\nNOT CLEAN: " + "; ".join(summary["violations"]))
        return 1
    print("\nClean: every paid order fulfilled or refunded once, each periodic job once a")
    print("period, and clients saw errors only for requests in flight on the killed instance.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``manage.py serve`` as ``make run`` starts it, in a real process (ADR 0018).

One server for the whole module, against the test's databases: the shop on
its port, each stand-in on its own, a payment processor that takes 2 s to
answer. Sixteen customers check out at once; every checkout gets its payment
page while the home page keeps answering, because a request waiting on an
outside party holds one thread, not a worker process. Then one Ctrl-C ends
everything, quietly.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client

from roamwise.catalog.models import Destination, Plan
from roamwise.core.stand_ins import STAND_INS
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.orders.models import Order, OrderEvent
from roamwise.smdp.services import inventory_add
from roamwise.suppliers.models import Allocation, SupplierPackage
from roamwise.suppliers.services import plan_sources_set
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING_API, TERMS_ACCEPTED

ROOT = Path(__file__).resolve().parents[3]
CHECKOUTS = 16
LATENCY = 2.0  # seconds the payment processor stand-in takes to answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


# The wholesalers' stand-ins take the shop's credentials from its settings.
WHOLESALER_CREDENTIALS = {
    "AIRALO_CLIENT_ID": "serve-test-client",
    "AIRALO_CLIENT_SECRET": "serve-test-secret",
    "ESIMACCESS_ACCESS_CODE": "serve-test-access-code",
    "ESIMACCESS_WEBHOOK_TOKEN": "serve-test-webhook-token",
    "ESIMGO_API_KEY": "serve-test-api-key",
}
BASES = {
    "airalo": "AIRALO_API_BASE",
    "esimaccess": "ESIMACCESS_API_BASE",
    "esimgo": "ESIMGO_API_BASE",
}


def wait_for_line(output: Path, line: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 30
    while line not in output.read_text():
        assert process.poll() is None and time.monotonic() < deadline, output.read_text()
        time.sleep(0.1)
    return next(text for text in output.read_text().splitlines() if line in text)


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float


def call(url: str, *, method: str = "GET", body: object = None, token: str = "") -> Answer:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["X-Session-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return Answer(response.status, response.read(), time.monotonic() - started)
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), time.monotonic() - started)


@dataclass
class Served:
    shop: str
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    output: Path
    home: Path


def wait_for(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, output.read_text()
        try:
            call(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within 90 s:\n{output.read_text()}")


@pytest.fixture
def served(transactional_db: None, tmp_path: Path) -> Iterator[Served]:
    """``manage.py serve`` with every stand-in, the way ``make run`` starts it."""
    port = free_port()
    ports = {name: free_port() for name in STAND_INS}
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "DATABASE_URL": database_url("default"),
        "VAULT_DATABASE_URL": database_url("vault"),
        "BIND": f"127.0.0.1:{port}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SIMULATORS": ",".join(STAND_INS),
        **WHOLESALER_CREDENTIALS,
        "SIMULATOR_PORTS": ",".join(f"{name}={p}" for name, p in ports.items()),
        "GATEWAY_LATENCY_SECONDS": str(LATENCY),
        "HUEY_NAME": f"serve-test-{uuid.uuid4().hex[:8]}",
    }
    for name in ("GATEWAY_URL", "ES2PLUS_URL", "NETWORK_PARTNER_URL", *BASES.values()):
        env.pop(name, None)
    output = tmp_path / "serve.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # as a terminal's Ctrl-C would, we signal serve alone
        )
    try:
        shop = f"http://127.0.0.1:{port}"
        wait_for(f"{shop}/healthz", process, output)
        for stand_in_port in ports.values():
            wait_for(f"http://127.0.0.1:{stand_in_port}/", process, output)
        wait_for_line(output, "eSIM Access (eSIM wholesaler) stand-in runs as process", process)
        yield Served(shop=shop, ports=ports, process=process, output=output, home=home)
    finally:
        if process.poll() is None:  # the test failed before its Ctrl-C
            process.terminate()  # serve stops its children
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()  # its children get SIGTERM from the kernel (Linux)
                process.wait()


def customers_with_tokens(count: int, first: int = 0) -> list[str]:
    """Signed-in customers: the session key is allauth's app session token."""
    tokens = []
    for number in range(first, first + count):
        browser = Client()
        browser.force_login(make_customer(f"traveller{number}"))
        tokens.append(browser.cookies["sessionid"].value)
    return tokens


def pay_with_a_good_card(payment_url: str, *, shop: str) -> None:
    """The customer on the processor's hosted page, as a browser would."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with browser.open(payment_url, timeout=30) as page:
        form = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, form
    card = {
        "csrfmiddlewaretoken": token.group(1),
        "card_number": "4242 4242 4242 4242",
        "exp_month": "12",
        "exp_year": "40",
        "cvc": "123",
    }
    with browser.open(payment_url, urllib.parse.urlencode(card).encode(), timeout=30) as done:
        # Sent back to the shop (its sign-in page: this browser has no session there).
        assert done.geturl().startswith(shop), done.read().decode()[:500]


def wait_until(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def checkout(shop: str, token: str, plan: Plan) -> Answer:
    """Order a plan and start paying it, as the app does."""
    created = call(
        f"{shop}/api/v1/orders",
        method="POST",
        body={"plan_id": str(plan.public_id), "billing": {**BILLING_API, **TERMS_ACCEPTED}},
        token=token,
    )
    assert created.status == 201, created.body
    order_id = json.loads(created.body)["id"]
    return call(f"{shop}/api/v1/orders/{order_id}/pay", method="POST", token=token)


def stand_ins_answer_apart(served: Served, plan: Plan) -> None:
    """The shop serves no stand-in; each answers on its own port, in its own
    protocol; the shop's payments go to the processor's port."""
    ports = served.ports
    for path in ("/smdp/gsma/rsp2/es2plus/getProfileStatus", "/gateway/v1/sessions"):
        assert call(f"{served.shop}{path}", method="POST", body={}).status == 404
    assert call(f"{served.shop}/network/api/v1/subscriptions/1").status == 404
    gateway = f"http://127.0.0.1:{ports['gateway']}/gateway"
    assert call(f"{gateway}/v1/sessions", method="POST", body={}).status == 401
    assert call(f"http://127.0.0.1:{ports['network']}/api/v1/subscriptions/1").status == 401
    smdp = f"http://127.0.0.1:{ports['smdp']}/gsma/rsp2/es2plus/getProfileStatus"
    assert call(smdp, method="POST", body={}).status != 404

    paid = checkout(served.shop, customers_with_tokens(1)[0], plan)

    assert paid.status == 200, paid.body
    payment_url = json.loads(paid.body)["payment_url"]
    assert payment_url.startswith(f"{gateway}/pay/")

    # Paid there, the order gets its eSIM from the SM-DP+ and its data from the
    # network partner, each on its own port, through the job consumer.
    inventory_add(profile_type=plan.profile_type, count=2, operator="roamwise")
    pay_with_a_good_card(payment_url, shop=served.shop)
    order = Order.objects.get(customer__username="traveller0")
    wait_until(lambda: Esim.objects.filter(order=order, state=EsimState.READY).exists())
    wait_until(lambda: Bundle.objects.filter(order=order, state=Bundle.State.ACTIVE).exists())


def sixteen_checkouts_at_once(served: Served, plan: Plan) -> None:
    """Every checkout waits 2 s on the processor; all succeed, together, and
    the home page answers quickly meanwhile."""
    tokens = customers_with_tokens(CHECKOUTS, first=1)
    answers: list[Answer] = []
    lock = threading.Lock()

    def one(token: str) -> None:
        answer = checkout(served.shop, token, plan)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one, args=(token,)) for token in tokens]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(LATENCY / 4)  # every checkout is now waiting on the processor
    home = []
    while any(thread.is_alive() for thread in threads):
        home.append(call(f"{served.shop}/"))
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    assert [answer.status for answer in answers] == [200] * CHECKOUTS, [
        answer.body[:200] for answer in answers if answer.status != 200
    ]
    # Waited on together, not one after another (16 x 2 s over 2 workers).
    assert elapsed < 3 * LATENCY, elapsed
    assert home, "the checkouts ended before the home page was asked"
    assert all(answer.status == 200 for answer in home)
    assert max(answer.seconds for answer in home) < 1.0, [a.seconds for a in home]


def wholesalers_supply_and_fail_over(served: Served, settings: Any) -> None:
    """Plans supplied through the Airalo and eSIM Access stand-ins, each its own
    process: their catalogues come in with supplier_sync, a purchase of each
    gets its eSIM from its wholesaler, and once Airalo's stand-in is stopped an
    order of a plan with both goes to eSIM Access, while the shop goes on."""
    for name, setting in BASES.items():
        setattr(settings, setting, f"http://127.0.0.1:{served.ports[name]}{STAND_INS[name].prefix}")
    for name, value in WHOLESALER_CREDENTIALS.items():
        setattr(settings, name, value)
    call_command("supplier_sync", "airalo", stdout=io.StringIO())
    call_command("supplier_sync", "esimaccess", stdout=io.StringIO())
    airalo = SupplierPackage.objects.get(supplier="airalo", package_id="es-0-1gb-7days")
    esimaccess = SupplierPackage.objects.get(supplier="esimaccess", package_id="P00000")
    plans = {}
    for name, packages in (
        ("airalo", [airalo]),
        ("esimaccess", [esimaccess]),
        ("both", [airalo, esimaccess]),
    ):
        plans[name] = Plan.objects.create(
            destination=Destination.objects.get(code="ES"),
            name=f"Wholesale {name}",
            data_mb=1024,
            validity_days=7,
            price=Decimal("9.99"),
        )
        plan_sources_set(plan_id=plans[name].pk, package_ids=[p.pk for p in packages])

    def bought(plan: Plan, number: int) -> Order:
        token = customers_with_tokens(1, first=number)[0]
        paid = checkout(served.shop, token, plan)
        assert paid.status == 200, paid.body
        pay_with_a_good_card(json.loads(paid.body)["payment_url"], shop=served.shop)
        order = Order.objects.get(customer__username=f"traveller{number}")
        wait_until(lambda: Esim.objects.filter(order=order, state=EsimState.READY).exists())
        return order

    def supplied_by(order: Order) -> str:
        used = Allocation.objects.get(order=order, disposition=Allocation.Disposition.FULFILLED)
        return used.supplier

    assert supplied_by(bought(plans["airalo"], 100)) == "airalo"
    assert supplied_by(bought(plans["esimaccess"], 101)) == "esimaccess"
    assert supplied_by(bought(plans["both"], 102)) == "airalo"

    line = wait_for_line(
        served.output, "Airalo (eSIM wholesaler) stand-in runs as process", served.process
    )
    os.kill(int(line.rstrip(".").rpartition(" ")[2]), signal.SIGTERM)
    wait_for_line(served.output, "Airalo (eSIM wholesaler) stand-in stopped", served.process)

    order = bought(plans["both"], 103)
    assert supplied_by(order) == "esimaccess"
    assert OrderEvent.objects.filter(order=order, note__startswith="airalo did not answer").exists()
    assert served.process.poll() is None  # the shop goes on without Airalo
    assert call(f"{served.shop}/").status == 200


def one_ctrl_c_stops_everything_quietly(served: Served) -> None:
    os.kill(served.process.pid, signal.SIGINT)

    assert served.process.wait(timeout=30) == 0
    log = served.output.read_text()
    assert "Stopped because" not in log, log
    assert "Traceback" not in log, log
    # Each of the job consumer's lines is printed once.
    assert log.count("Huey consumer started") == 1, log
    # gunicorn's control socket, shared by every instance in $HOME, is off.
    assert not (served.home / ".gunicorn").exists()
    # Nothing is left listening.
    for port in (int(served.shop.rpartition(":")[2]), *served.ports.values()):
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
            pass


@pytest.mark.commitment("SEC-03")
def test_serve_as_make_run_starts_it(served: Served, plan: Plan, settings: Any) -> None:
    # One server for the four parts: starting it costs more than each.
    call(f"{served.shop}/")  # the first answer fills the caches
    stand_ins_answer_apart(served, plan)
    sixteen_checkouts_at_once(served, plan)
    wholesalers_supply_and_fail_over(served, settings)
    one_ctrl_c_stops_everything_quietly(served)

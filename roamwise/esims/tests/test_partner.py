"""The shop's adapter to the network partner, against the simulator over real
HTTP, and against a partner that is down, failing or slow."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from roamwise.core import http
from roamwise.core.errors import DomainError
from roamwise.esims.partner import (
    UNAVAILABLE,
    NetworkPartner,
    PartnerError,
    SimulatedPartner,
    get_partner,
)
from roamwise.network.models import NetworkBundle, NetworkSubscription, SubscriptionState
from roamwise.network.tests.helpers import make_iccid

ICCID = make_iccid(42)


@pytest.fixture
def partner(live_server: Any, settings: Any, stand_ins: None) -> Iterator[NetworkPartner]:
    """The shop's partner, pointed at the simulator served on loopback."""
    settings.NETWORK_PARTNER_URL = f"{live_server.url}/network"
    settings.ALLOWED_HOSTS = ["*"]
    yield get_partner()
    # The shared client keeps connections alive; a server thread waiting on one
    # keeps its database connection open, and the test database cannot be dropped.
    http._session.close()


def line_state(iccid: str = ICCID) -> str:
    return NetworkSubscription.objects.get(iccid=iccid).state


# --- Against the simulator ---------------------------------------------------------


def test_get_partner_is_the_simulator_at_the_configured_address(settings: Any) -> None:
    settings.NETWORK_PARTNER_URL = "http://partner.example/network/"
    settings.NETWORK_PARTNER_API_KEY = "k-123"

    partner = get_partner()

    assert isinstance(partner, SimulatedPartner)
    assert partner.name == "simulated"
    assert (partner.base_url, partner.api_key) == ("http://partner.example/network", "k-123")
    assert partner.timeout == settings.HTTP_TIMEOUT_SECONDS


def test_suspend_resume_terminate(partner: NetworkPartner) -> None:
    partner.line_suspend(iccid=ICCID)
    suspended = line_state()
    partner.line_resume(iccid=ICCID)
    resumed = line_state()
    partner.line_terminate(iccid=ICCID)

    assert (suspended, resumed) == (SubscriptionState.SUSPENDED, SubscriptionState.ACTIVE)
    assert line_state() == SubscriptionState.TERMINATED


def test_calls_can_be_repeated_after_a_lost_answer(partner: NetworkPartner) -> None:
    partner.line_suspend(iccid=ICCID)
    partner.line_suspend(iccid=ICCID)
    partner.bundle_add(iccid=ICCID, reference="topup-7", data_mb=500, validity_days=7)
    partner.bundle_add(iccid=ICCID, reference="topup-7", data_mb=500, validity_days=7)
    partner.line_terminate(iccid=ICCID)
    partner.line_terminate(iccid=ICCID)

    assert line_state() == SubscriptionState.TERMINATED
    assert NetworkBundle.objects.count() == 1


def test_bundle_add(partner: NetworkPartner) -> None:
    partner.bundle_add(iccid=ICCID, reference="topup-1", data_mb=1024, validity_days=30)
    partner.bundle_add(iccid=ICCID + "F", reference="topup-2", data_mb=None, validity_days=3650)

    bundles = NetworkBundle.objects.order_by("pk")
    assert [(b.subscription.iccid, b.reference, b.data_mb, b.validity_days) for b in bundles] == [
        (ICCID, "topup-1", 1024, 30),
        (ICCID, "topup-2", None, 3650),
    ]


def test_a_terminated_line_is_refused_with_the_partners_reason(partner: NetworkPartner) -> None:
    partner.line_terminate(iccid=ICCID)

    with pytest.raises(PartnerError) as resumed:
        partner.line_resume(iccid=ICCID)
    with pytest.raises(PartnerError) as topped_up:
        partner.bundle_add(iccid=ICCID, reference="late", data_mb=1, validity_days=1)

    assert resumed.value.retryable is False
    assert resumed.value.message == "This line is terminated; it cannot be resumed."
    assert (resumed.value.code, resumed.value.status) == ("network_partner_refused", 409)
    assert topped_up.value.retryable is False
    assert topped_up.value.message == "This line is terminated; no bundle can be added to it."
    assert line_state() == SubscriptionState.TERMINATED
    assert not NetworkBundle.objects.exists()


def test_a_reused_reference_is_refused(partner: NetworkPartner) -> None:
    partner.bundle_add(iccid=ICCID, reference="topup-1", data_mb=1024, validity_days=30)

    with pytest.raises(PartnerError) as caught:
        partner.bundle_add(iccid=ICCID, reference="topup-1", data_mb=2048, validity_days=30)

    assert caught.value.retryable is False
    assert caught.value.message == "This reference was already used for a different bundle."
    assert NetworkBundle.objects.get().data_mb == 1024


@pytest.mark.parametrize(
    "iccid",
    [ICCID[:-1], ICCID + "0", "89/../../" + ICCID, "8944?x=1#" + ICCID, "", "%2e%2e"],
    ids=["short", "long", "dot-dot", "query", "empty", "percent"],
)
def test_a_bad_iccid_is_refused_not_retried(partner: NetworkPartner, iccid: str) -> None:
    with pytest.raises(PartnerError) as caught:
        partner.line_suspend(iccid=iccid)

    assert caught.value.retryable is False
    assert "ICCID" in caught.value.message
    assert not NetworkSubscription.objects.exists()


def test_a_wrong_key_is_refused_not_retried(partner: NetworkPartner, settings: Any) -> None:
    # Not through settings: the simulator in this process reads the same ones.
    wrong_key = SimulatedPartner(api_key="not-the-key")

    with pytest.raises(PartnerError) as caught:
        wrong_key.line_suspend(iccid=ICCID)

    assert caught.value.retryable is False
    assert caught.value.message == "Bad or missing API key."
    assert not NetworkSubscription.objects.exists()


# --- A partner that is down, failing or slow ---------------------------------------------


class FaultyPartner:
    """A partner on loopback that answers what the test says, as late as it says."""

    def __init__(self) -> None:
        self.status = 500
        self.body = b'{"error": "internal"}'
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                if outer.delay:
                    outer.released.wait(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/network"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def faulty(settings: Any) -> Iterator[FaultyPartner]:
    server = FaultyPartner()
    settings.NETWORK_PARTNER_URL = server.url
    settings.NETWORK_PARTNER_API_KEY = "the-partner-key"
    yield server
    server.released.set()
    server.server.shutdown()
    server.server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CALLS = {
    "suspend": lambda p: p.line_suspend(iccid=ICCID),
    "resume": lambda p: p.line_resume(iccid=ICCID),
    "terminate": lambda p: p.line_terminate(iccid=ICCID),
    "bundle": lambda p: p.bundle_add(iccid=ICCID, reference="r-1", data_mb=10, validity_days=1),
}


def assert_retryable(caught: pytest.ExceptionInfo[PartnerError]) -> None:
    assert caught.value.retryable is True
    assert caught.value.message == UNAVAILABLE
    assert (caught.value.code, caught.value.status) == ("network_partner_unavailable", 503)
    assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_partner_that_is_down_is_worth_retrying(settings: Any, call: Any) -> None:
    settings.NETWORK_PARTNER_URL = f"http://127.0.0.1:{closed_port()}/network"

    with pytest.raises(PartnerError) as caught:
        call(get_partner())

    assert_retryable(caught)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_failing_partner_is_worth_retrying(faulty: FaultyPartner, call: Any, status: int) -> None:
    faulty.status = status

    with pytest.raises(PartnerError) as caught:
        call(get_partner())

    assert_retryable(caught)
    assert len(faulty.requests) == 1


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway</html>", b"[]", b'{"iccid": "x", "state": "active"}', b""],
    ids=["html", "a list", "another state", "empty"],
)
def test_a_garbled_success_is_worth_retrying(faulty: FaultyPartner, body: bytes) -> None:
    faulty.status, faulty.body = 200, body

    with pytest.raises(PartnerError) as caught:
        get_partner().line_suspend(iccid=ICCID)

    assert_retryable(caught)


def test_a_slow_partner_times_out_and_is_worth_retrying(faulty: FaultyPartner) -> None:
    faulty.delay = 5.0

    with pytest.raises(PartnerError) as caught:
        SimulatedPartner(timeout=0.2).line_suspend(iccid=ICCID)

    assert_retryable(caught)
    assert "timed out" in str(caught.value.__cause__)


def test_a_refusal_without_a_reason_gets_a_plain_message(faulty: FaultyPartner) -> None:
    faulty.status, faulty.body = 409, b"<html>conflict</html>"

    with pytest.raises(PartnerError) as caught:
        get_partner().line_resume(iccid=ICCID)

    assert caught.value.retryable is False
    assert caught.value.message == "The mobile network refused the request."


def test_what_goes_on_the_wire(faulty: FaultyPartner) -> None:
    faulty.status = 201
    faulty.body = b'{"reference": "r-1", "data_mb": null, "validity_days": 30, "added_at": "x"}'

    get_partner().bundle_add(
        iccid=ICCID, reference="r-1", data_mb=None, validity_days=30, coverage=["FR", "ES"]
    )

    (sent,) = faulty.requests
    assert sent["path"] == f"/network/api/v1/subscriptions/{ICCID}/bundles"
    assert sent["headers"]["Authorization"] == "Bearer the-partner-key"
    assert json.loads(sent["body"]) == {
        "reference": "r-1",
        "data_mb": None,
        "validity_days": 30,
        "coverage": ["FR", "ES"],
    }

"""Error reports to Sentry carry no personal data or secrets (kernel/errorreports.py)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from roamwise.governance.outbound import SCRUBBED, scan
from roamwise.kernel.errorreports import FILTERED, scrub_breadcrumb, scrub_event, scrub_text
from roamwise.testing.fixtures.databases import scratch_environment

from . import sentry_child as site

SECRETS = (site.EMAIL, site.IP, site.PHONE, site.CARD, site.TOKEN, site.SESSION, site.PASSWORD)

ROOT = Path(__file__).resolve().parents[3]


def _event() -> dict[str, Any]:
    """An event as the SDK's Django integration builds it for a failed checkout
    (send_default_pii on, to show what the scrubber removes by itself)."""
    return {
        "event_id": "a3f5c2d1e4b6978012345678901234ab",
        "timestamp": "2026-12-07T16:58:10.123456Z",
        "level": "error",
        "platform": "python",
        "sdk": {"name": "sentry.python.django", "version": "2.0.0"},
        "server_name": "web-1",
        "environment": "production",
        "transaction": "/checkout/<uuid:plan_id>/",
        "message": f"checkout failed for {site.EMAIL}",
        "logentry": {
            "message": "card %s declined for %s from %s",
            "params": [site.CARD, site.EMAIL, site.IP],
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"duplicate key: Key (email)=({site.EMAIL}) from {site.IP} "
                    f"and 2001:db8::7 phone {site.PHONE} card 4242 4242 4242 4242",
                    "module": "django.db.utils",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "roamwise/orders/services.py",
                                "function": "order_create",
                                "lineno": 120,
                                "vars": {"billing_name": "'Alice Liddell'", "password": "'x'"},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "method": "POST",
            "url": "https://shop.example/rights/download/q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3/",
            "query_string": f"email={site.EMAIL}&token={site.TOKEN}",
            "data": {"email": site.EMAIL, "password": site.PASSWORD},
            "cookies": {"sessionid": site.SESSION, "csrftoken": "abc"},
            "headers": {
                "Authorization": f"Bearer {site.TOKEN}",
                "Cookie": f"sessionid={site.SESSION}",
                "X-Forwarded-For": site.IP,
                "User-Agent": "Mozilla/5.0 (iPhone)",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Request-Id": "req-7f3a",
            },
            "env": {"REMOTE_ADDR": site.IP, "SERVER_NAME": "web-1"},
        },
        "user": {"id": "42", "email": site.EMAIL, "ip_address": site.IP, "username": "alice"},
        "extra": {"phone": site.PHONE, "billing_address": "1 Rabbit Hole, Oxford", "count": 3},
        "tags": {"order": "RW-1234", "url": "/orders/"},
        "contexts": {
            "trace": {
                "trace_id": "0123456789abcdef0123456789abcdef",
                "span_id": "0123456789abcdef",
            },
            "customer": {"email": site.EMAIL, "note": f"call {site.PHONE}"},
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "roamwise.checkout",
                    "message": f"login failed for {site.EMAIL} from {site.IP}",
                    "data": {"date_of_birth": "1990-05-17", "path": "/orders/"},
                },
                {
                    "category": "query",
                    "message": 'SELECT * FROM "accounts_user" WHERE email = %s',
                    "data": {"db.params": [site.EMAIL]},
                },
            ]
        },
    }


@pytest.mark.commitment("SEC-07")
def test_the_scrubber_removes_personal_data_and_secrets() -> None:
    scrubbed = scrub_event(_event(), {})
    text = json.dumps(scrubbed)
    for secret in (*SECRETS, "2001:db8::7", "4242 4242 4242 4242", "Alice Liddell"):
        assert secret not in text, secret
    assert "1 Rabbit Hole" not in text and "1990-05-17" not in text
    request = scrubbed["request"]
    assert set(request) == {"method", "url", "headers"}  # no body, cookies, env, query
    assert set(request["headers"]) == {"Content-Type", "X-Request-Id"}
    assert "q8w7e6r5" not in request["url"] and request["url"].startswith("https://shop.example/")
    assert "user" not in scrubbed
    assert "vars" not in scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert scrubbed["extra"]["phone"] == FILTERED and scrubbed["extra"]["count"] == 3
    assert scrubbed["contexts"]["customer"]["email"] == FILTERED


def test_the_scrubber_keeps_what_makes_the_report_useful() -> None:
    scrubbed = scrub_event(_event(), {})
    original = _event()
    for name in ("event_id", "timestamp", "level", "sdk", "transaction", "server_name"):
        assert scrubbed[name] == original[name]
    assert scrubbed["contexts"]["trace"] == original["contexts"]["trace"]
    exception = scrubbed["exception"]["values"][0]
    assert exception["type"] == "IntegrityError"
    assert exception["value"].startswith("duplicate key: Key (email)=([Filtered])")
    assert exception["stacktrace"]["frames"][0]["lineno"] == 120
    assert scrubbed["request"]["method"] == "POST"
    assert scrubbed["breadcrumbs"]["values"][1]["message"].startswith("SELECT * FROM")


def test_texts_lose_addresses_numbers_and_tokens() -> None:
    assert scrub_text("mail bob@example.org now") == f"mail {FILTERED} now"
    assert scrub_text("from 198.51.100.23:443") == f"from {FILTERED}:443"
    assert scrub_text("at 16:58:10 took 1.5 s, order 12") == "at 16:58:10 took 1.5 s, order 12"
    assert FILTERED in scrub_text("Authorization: Bearer abcdefgh12345678")
    assert scrub_breadcrumb({"message": f"phone {site.PHONE}"})["message"] == f"phone {FILTERED}"


def test_without_a_dsn_the_sdk_is_not_started() -> None:
    from django.conf import settings

    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.commitment("SHR-01")
def test_the_sdk_is_the_only_way_out_and_it_is_scrubbed() -> None:
    uses, _ = scan(ROOT / "roamwise")
    senders = {use.module for use in uses if use.target == "sentry_sdk"}
    assert senders == set(SCRUBBED) == {"roamwise.kernel.errorreports"}


class _Ingest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint, on loopback: keeps what it is sent."""

    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        answer = b'{"id":"0"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []
    handler = type("Ingest", (_Ingest,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/42", received
    server.shutdown()
    server.server_close()


@pytest.mark.commitment("SEC-07")
def test_a_real_report_sent_holds_none_of_it(
    ingest: tuple[str, list[tuple[str, bytes]]], migrated_data_dir: Path
) -> None:
    dsn, received = ingest
    env = {
        **scratch_environment(migrated_data_dir),
        "SENTRY_DSN": dsn,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "roamwise.kernel.tests.sentry_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    envelopes = [body for path, body in received if path == "/api/42/envelope/"]
    assert envelopes, received
    wire = b"\n".join(envelopes).decode()
    # The report is there: the error, its route, the log line before it.
    assert "ValueError" in wire and "/boom/" in wire and "declined for" in wire
    for secret in (*SECRETS, "Mozilla/5.0", "iPhone OS"):
        assert secret not in wire, secret

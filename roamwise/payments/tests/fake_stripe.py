"""A small local HTTP server that answers the Stripe API calls the adapter
makes, the way Stripe answers them, and signs webhooks as Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> dict[str, list[str]]:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode()) if length else {}
                query = parse_qs(urlparse(self.path).query)
                server.requests.append(
                    (self.command, urlparse(self.path).path, {**form, **query}, dict(self.headers))
                )
                return {**form, **query}

            def do_GET(self) -> None:
                self._record()
                path = urlparse(self.path).path
                if path.startswith("/v1/payment_intents/"):
                    intent = server.intents.get(path.rsplit("/", 1)[-1])
                    if intent is None:
                        return self._answer(
                            404,
                            {
                                "error": {
                                    "type": "invalid_request_error",
                                    "message": "No such payment_intent",
                                }
                            },
                        )
                    return self._answer(200, intent)
                self._answer(404, {"error": {"type": "invalid_request_error", "message": "?"}})

            def do_POST(self) -> None:
                form = self._record()
                path = urlparse(self.path).path
                if server.fail_next:
                    server.fail_next -= 1
                    return self._answer(500, {"error": {"type": "api_error", "message": "boom"}})
                if path == "/v1/checkout/sessions":
                    session_id = "cs_test_" + secrets.token_hex(8)
                    session = {
                        "id": session_id,
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                        "payment_status": "unpaid",
                        "status": "open",
                        "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
                        "currency": form["line_items[0][price_data][currency]"][0],
                        "client_reference_id": form.get("client_reference_id", [""])[0],
                    }
                    server.sessions[session_id] = session
                    return self._answer(200, session)
                if path == "/v1/refunds":
                    return self._answer(
                        200,
                        {
                            "id": "re_" + secrets.token_hex(8),
                            "object": "refund",
                            "status": "succeeded",
                            "amount": int(form["amount"][0]),
                            "payment_intent": form["payment_intent"][0],
                            "currency": "usd",
                            "metadata": {"refund": form.get("metadata[refund]", [""])[0]},
                        },
                    )
                self._answer(404, {"error": {"type": "invalid_request_error", "message": "?"}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeStripe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def pay(self, session_id: str, *, brand: str = "visa", last4: str = "4242") -> dict[str, Any]:
        """The customer paid on Stripe's page: the session completes with an intent."""
        intent_id = "pi_" + secrets.token_hex(8)
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "status": "succeeded",
            "latest_charge": {
                "id": "ch_" + secrets.token_hex(6),
                "object": "charge",
                "payment_method_details": {
                    "type": "card",
                    "card": {"brand": brand, "last4": last4, "exp_month": 8, "exp_year": 2030},
                },
            },
        }
        session = {
            **self.sessions[session_id],
            "payment_status": "paid",
            "status": "complete",
            "payment_intent": intent_id,
        }
        self.sessions[session_id] = session
        return session


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(8),
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()

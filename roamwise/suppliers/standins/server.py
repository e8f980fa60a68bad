from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_standin_server(app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)


def serve_in_thread(app: WsgiApp) -> tuple[WSGIServer, str]:
    """Serve on a free loopback port; return the server and its base URL."""
    server = make_standin_server(app)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def post_webhook(url: str, body: bytes, headers: dict[str, str]) -> int:
    """Deliver one notification as the provider would; 0 when it could not be delivered."""
    try:
        response = requests.post(
            url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=5
        )
    except requests.RequestException:
        return 0
    return response.status_code


def deliver(url: str, body: bytes, headers: dict[str, str], *, duplicate_rate: float) -> None:
    """Send a notification in a thread of its own, as a provider does: with
    ``duplicate_rate``, a second copy follows a little later, after other
    notifications may have gone (repeated and reordered, as real ones are)."""
    threading.Thread(target=post_webhook, args=(url, body, headers), daemon=True).start()
    if duplicate_rate and random.random() < duplicate_rate:
        later = threading.Timer(random.uniform(0.5, 3), post_webhook, args=(url, body, headers))
        later.daemon = True
        later.start()


# Modes of the fault switch (the shop's stand-ins have the same, ADR 0017), and 429.
FAULT_MODES = ("none", "slow", "garbage", "unavailable", "rate_limited")
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1>upstream \x00 reset</body></html>"


class FaultSwitch:
    """A supplier's stand-in that misbehaves on request, for fault injection
    (``bench/faults.py``; only when ``SIMULATOR_FAULTS`` is on, never in
    production). ``POST /admin/fault`` with ``{"mode", "seconds", "rate",
    "delay", "path"}`` (``path``: only requests whose path ends with it):

    ``slow``          act, then answer after the caller has given up (its answer is lost)
    ``garbage``       act, then answer 200 with something that is not the protocol
    ``unavailable``   answer 503 without acting
    ``rate_limited``  answer 429 with ``Retry-After`` without acting

    ``GET /admin/ledger`` lists what the stand-in did (its orders, by our
    transaction id, and the notifications it sent), for the tally."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.mode, self.rate, self.until, self.delay, self.path = "none", 1.0, 0.0, 5.0, ""
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/admin/fault" and method == "POST":
            return self._set(environ, start_response)
        if path == "/admin/ledger" and method == "GET":
            return self._json(start_response, "200 OK", self.app.ledger())
        with self._lock:
            active = self.mode != "none" and time.time() < self.until and path.endswith(self.path)
            mode = self.mode if active and random.random() < self.rate else "none"
            delay = self.delay
        if mode == "unavailable":
            return self._json(start_response, "503 Service Unavailable", {"message": "down"})
        if mode == "rate_limited":
            start_response(
                "429 Too Many Requests", [("Content-Type", "text/plain"), ("Retry-After", "1")]
            )
            return [b"Too Many Attempts."]
        answer = b"".join(self.app(environ, _kept(start_response, mode)))
        if mode == "slow":
            time.sleep(delay)
        if mode == "garbage":
            return [GARBAGE]
        return [answer]

    def _set(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            asked = json.loads(environ["wsgi.input"].read(length) or b"{}")
            mode = str(asked.get("mode", "none"))
            if mode not in FAULT_MODES:
                raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
            with self._lock:
                self.mode, self.rate = mode, float(asked.get("rate", 1.0))
                self.until = time.time() + float(asked.get("seconds", 60))
                self.delay = float(asked.get("delay", 5))
                self.path = str(asked.get("path", ""))
        except (ValueError, TypeError, AttributeError) as exc:
            return self._json(start_response, "400 Bad Request", {"message": str(exc)})
        return self._json(start_response, "200 OK", {"mode": mode})

    @staticmethod
    def _json(start_response: Callable[..., Any], status: str, body: Any) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]


def _kept(start_response: Callable[..., Any], mode: str) -> Callable[..., Any]:
    """The stand-in's own status line, or 200 for garbage (it looks like success)."""

    def replaced(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        if mode == "garbage":
            return start_response("200 OK", [("Content-Type", "text/html")])
        return start_response(status, headers, *args)

    return replaced

from __future__ import annotations

import threading
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
    threading.Thread(target=server.serve_forever, daemon=True).start()
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

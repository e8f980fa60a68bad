"""A loopback HTTP proxy in front of the SM-DP+ simulator that records every
ES2+ exchange and injects the faults a real network produces."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

# Faults, per ES2+ function, consumed one per call:
#   "down"       close the connection without forwarding (the SM-DP+ never sees it)
#   "500"        answer 500 without forwarding
#   "garbage"    forward, then answer 200 with something that is not ES2+
#   "slow"       forward, then wait past the client's timeout before answering
#   "reset"      forward (the SM-DP+ acts), then drop the connection unanswered
FAULTS = {"down", "500", "garbage", "slow", "reset"}
SGP22_FUNCTIONS = {"downloadOrder", "confirmOrder", "cancelOrder", "releaseProfile"}


class SmdpProxy:
    def __init__(self, target: str, *, slow_seconds: float = 2.0) -> None:
        self.target = target.rstrip("/")
        self.slow_seconds = slow_seconds
        self.pad_iccids = False
        self.sgp22_only = False
        self.own_matching_ids = False
        self.refused: list[str] = []
        self.exchanges: list[dict[str, Any]] = []
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                function = self.path.rsplit("/", 1)[-1]
                with proxy.lock:
                    fault = proxy.faults[function].pop(0) if proxy.faults[function] else ""
                if fault == "down":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if proxy.sgp22_only and function not in SGP22_FUNCTIONS:
                    # A standard SM-DP+: no vendor extensions (SGP.22 §6.5.2, Table 57).
                    proxy.refused.append(function)
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if proxy.own_matching_ids and function == "confirmOrder":
                    # An SM-DP+ that generates the matching ID itself (§5.3.2).
                    request = json.loads(body)
                    request.pop("matchingId", None)
                    body = json.dumps(request).encode()
                if fault == "500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = requests.post(
                    f"{proxy.target}{self.path}",
                    data=body,
                    headers={
                        "Content-Type": self.headers.get("Content-Type", ""),
                        "X-Admin-Protocol": self.headers.get("X-Admin-Protocol", ""),
                        "Authorization": self.headers.get("Authorization", ""),
                    },
                    timeout=30,
                )
                answer = upstream.json() if upstream.content else None
                iccid = answer.get("iccid") if isinstance(answer, dict) else None
                if proxy.pad_iccids and isinstance(iccid, str) and len(iccid) == 19:
                    # As real SM-DP+ vendors answer: the 19-digit ICCID with its 'F' pad.
                    answer["iccid"] = f"{iccid}F"  # type: ignore[index]
                with proxy.lock:
                    proxy.exchanges.append(
                        {
                            "function": function,
                            "request": json.loads(body),
                            "request_headers": dict(self.headers),
                            "status": upstream.status_code,
                            "response": answer,
                            "response_headers": dict(upstream.headers),
                            "fault": fault,
                        }
                    )
                if fault == "reset":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                content = upstream.content
                if proxy.pad_iccids and answer is not None:
                    content = json.dumps(answer).encode()
                if fault == "garbage":
                    content = b"<html>Bad gateway</html>"
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", ""))
                self.send_header("X-Admin-Protocol", upstream.headers.get("X-Admin-Protocol", ""))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def inject(self, function: str, *faults: str) -> None:
        assert set(faults) <= FAULTS, faults
        with self.lock:
            self.faults[function].extend(faults)

    def calls(self, function: str) -> list[dict[str, Any]]:
        return [e for e in self.exchanges if e["function"] == function]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

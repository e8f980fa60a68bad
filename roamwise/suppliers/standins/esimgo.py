"""Stand-in for eSIM Go's API v2.4 (see ``roamwise/suppliers/esimgo.py``).

Plain WSGI, nothing from Django: ``X-API-Key`` on every request, the catalogue
of bundles (data in MB, price in the organisation's currency), ``POST
/orders`` of bundles assigned to new eSIMs or to an eSIM named by ICCID (a
top-up), ``GET /orders`` and ``/orders/{reference}``, install details from
``/esims/assignments``, the bundles on an eSIM with their remaining bytes, the
organisation's balance, 429 with ``Retry-After`` past its rate, and usage
callbacks signed with HMAC-SHA256 of the body keyed with the API key, base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from roamwise.suppliers.standins.server import deliver

MB = 1_000_000  # eSIM Go counts data in decimal units: 1 GB is 1000 MB
PREFIX = "/v2.4"
COUNTRIES = (
    ("ES", "Spain", "Europe"),
    ("FR", "France", "Europe"),
    ("DE", "Germany", "Europe"),
    ("IT", "Italy", "Europe"),
    ("PT", "Portugal", "Europe"),
    ("GR", "Greece", "Europe"),
    ("JP", "Japan", "Asia"),
    ("US", "United States", "North America"),
    ("TH", "Thailand", "Asia"),
    ("TR", "Turkey", "Europe"),
)
SIGNATURE_HEADER = "X-Signature-SHA256"
# Usage callbacks go at these shares of a bundle used ("Utilisation").
UTILISATION_LEVELS = (0.01, 0.5, 0.8, 1.0)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(api_key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(api_key.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class EsimGoStandin:
    api_key: str = "standin-esimgo-api-key"
    webhook_url: str = ""
    bundle_count: int = 20
    balance: float = 1_000_000.0
    currency: str = "USD"
    # Orders assigned at once unless this many seconds (eSIM Go: up to 10 minutes).
    assignment_delay: float = 0.0
    # At most this many requests per second, then 429.
    rate_limit: int = 10
    retry_after: int = 1
    profiles_left: int = 1_000_000
    duplicate_rate: float = 0.0
    traffic_mb_per_hour: float = 0.0
    bundles: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ICCID -> the eSIM: install details and its bundle assignments.
    esims: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    requests_seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._window: list[float] = []
        self._sold: dict[str, tuple[float, int]] = {}
        if not self.bundles:
            self.bundles = [self.make_bundle(i) for i in range(self.bundle_count)]

    @staticmethod
    def make_bundle(i: int, *, price: float | None = None) -> dict[str, Any]:
        iso, name, region = COUNTRIES[i % len(COUNTRIES)]
        regional = i % 5 == 4
        unlimited = i % 7 == 6
        gb, days = i % 20 + 1, 7 + i % 3 * 8
        countries = (
            [{"name": n, "region": r, "iso": c} for c, n, r in COUNTRIES[:3]]
            if regional
            else [{"name": name, "region": region, "iso": iso}]
        )
        code = "EUR" if regional else iso
        return {
            "name": f"esim_{'UL' if unlimited else f'{gb}GB'}_{days}D_{code}_V2",
            "description": f"eSIM, {'Unlimited' if unlimited else f'{gb}GB'}, {days} Days, "
            f"{'Europe' if regional else name}, V2",
            "groups": ["Standard Unlimited Essential" if unlimited else "Standard Fixed"],
            "countries": countries,
            "dataAmount": -1 if unlimited else gb * 1000,
            "duration": days,
            "speed": ["4G", "5G"] if i % 2 else ["4G"],
            "autostart": True,
            "unlimited": unlimited,
            "roamingEnabled": [],
            "price": price if price is not None else round(2.0 + i * 0.4, 2),
        }

    # -- WSGI --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        self.requests_seen.append(f"{method} {path}")
        if self._rate_limited():
            return self._answer(
                start_response,
                "429 Too Many Requests",
                {"message": "Too Many Requests"},
                [("Retry-After", str(self.retry_after))],
            )
        if environ.get("HTTP_X_API_KEY", "") != self.api_key:
            return self._answer(start_response, "401 Unauthorized", {"message": "Unauthorised"})
        if not path.startswith(PREFIX + "/"):
            return self._answer(start_response, "404 Not Found", {"message": "Not Found"})
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body: Any = {}
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError
            except ValueError:
                return self._answer(start_response, "400 Bad Request", {"message": "Bad JSON"})
        self._traffic()
        parts = path.removeprefix(PREFIX + "/").strip("/").split("/")
        with self._lock:
            outcome = self._route(method, parts, query, body)
        status, answer = outcome
        return self._answer(start_response, status, answer)

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> tuple[str, Any]:
        match method, parts:
            case "GET", ["catalogue"]:
                return self._catalogue(query)
            case "GET", ["catalogue", "bundle", name]:
                found = [b for b in self.bundles if b["name"] == name]
                return ("200 OK", found[0]) if found else _not_found("Bundle not found")
            case "POST", ["orders"]:
                return self._order(body)
            case "GET", ["orders"]:
                return self._orders(query)
            case "GET", ["orders", reference]:
                order = self.orders.get(reference)
                return ("200 OK", self._with_esims(order)) if order else _not_found("No order")
            case "GET", ["esims", "assignments"]:
                return self._assignments(query)
            case "GET", ["esims", iccid, "bundles"]:
                esim = self.esims.get(iccid)
                return ("200 OK", {"bundles": esim["bundles"]}) if esim else _not_found("No eSIM")
            case "GET", ["organisation"]:
                return (
                    "200 OK",
                    {
                        "organisations": [
                            {
                                "name": "Roamwise",
                                "currency": self.currency,
                                "balance": round(self.balance, 2),
                            }
                        ]
                    },
                )
        return _not_found("Not Found")

    def _rate_limited(self) -> bool:
        now = time.monotonic()
        with self._lock:
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.rate_limit:
                return True
            self._window.append(now)
        return False

    @staticmethod
    def _answer(
        start_response: Any, status: str, body: Any, headers: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *(headers or []),
            ],
        )
        return [data]

    # -- endpoints ---------------------------------------------------------

    def _catalogue(self, query: dict[str, str]) -> tuple[str, Any]:
        page = max(1, int(query.get("page") or 1))
        per_page = max(1, min(int(query.get("perPage") or 50), 200))
        rows = self.bundles[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(self.bundles) // per_page))
        return "200 OK", {"bundles": rows, "pageCount": pages, "rows": len(self.bundles)}

    def _order(self, body: dict[str, Any]) -> tuple[str, Any]:
        kind = body.get("type")
        items = body.get("order") or []
        if kind not in ("validate", "transaction") or len(items) != 1:
            return "400 Bad Request", {"message": "Invalid order request"}
        item = items[0]
        bundle = next((b for b in self.bundles if b["name"] == item.get("item")), None)
        if item.get("type") != "bundle" or bundle is None:
            return "400 Bad Request", {"message": f"Bundle {item.get('item')} not found"}
        iccids = [str(i) for i in item.get("iccids") or []]
        if any(i not in self.esims for i in iccids):
            return "400 Bad Request", {"message": "eSIM not found"}
        total = round(float(bundle["price"]) * int(item.get("quantity", 1)), 2)
        if total > self.balance:
            return "400 Bad Request", {"message": "Insufficient balance to process order"}
        if not iccids and self.profiles_left <= 0:
            return "400 Bad Request", {"message": "No eSIMs available for this bundle"}
        line = {
            "type": "bundle",
            "item": bundle["name"],
            "quantity": 1,
            "subTotal": total,
            "pricePerUnit": bundle["price"],
            "iccids": iccids,
        }
        if kind == "validate":
            return "200 OK", {"order": [line], "total": total, "valid": True}
        self.balance -= total
        reference = secrets.token_hex(16)
        if not iccids:
            self.profiles_left -= 1
            iccid = "8944" + "".join(secrets.choice("0123456789") for _ in range(15))
            self.esims[iccid] = {
                "iccid": iccid,
                "matchingId": secrets.token_hex(8).upper(),
                "smdpAddress": "rsp.esimgo.standin.example",
                "profileStatus": "Released",
                "reference": reference,
                "bundles": [],
            }
            self._sold[iccid] = (time.monotonic(), 0)
            iccids = [iccid]
        for iccid in iccids:
            self._assign(iccid, bundle, reference)
        line["iccids"] = iccids
        self.orders[reference] = {
            "orderReference": reference,
            "order": [line],
            "total": total,
            "currency": self.currency,
            "status": "completed",
            "statusMessage": "Order completed",
            "assigned": bool(body.get("assign")),
            "createdDate": _now(),
            "_created": time.time(),
        }
        return "200 OK", self._public(self.orders[reference])

    def _assign(self, iccid: str, bundle: dict[str, Any], reference: str) -> None:
        esim = self.esims[iccid]
        unlimited = bool(bundle["unlimited"])
        quantity = 0 if unlimited else int(bundle["dataAmount"]) * MB
        group = next((b for b in esim["bundles"] if b["name"] == bundle["name"]), None)
        if group is None:
            group = {
                "name": bundle["name"],
                "description": bundle["description"],
                "assignments": [],
            }
            esim["bundles"].append(group)
        group["assignments"].append(
            {
                "id": str(secrets.randbelow(10**9)),
                "assignmentReference": f"{reference}-0",
                "callTypeGroup": "data",
                "initialQuantity": quantity,
                "remainingQuantity": quantity,
                "assignmentDateTime": _now(),
                "bundleState": "processing" if self.assignment_delay else "queued",
                "unlimited": unlimited,
                "_ready_at": time.monotonic() + self.assignment_delay,
            }
        )

    def _ready(self, reference: str) -> bool:
        now = time.monotonic()
        return all(
            a["_ready_at"] <= now
            for esim in self.esims.values()
            for group in esim["bundles"]
            for a in group["assignments"]
            if a["assignmentReference"].startswith(reference)
        )

    @staticmethod
    def _public(order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if not k.startswith("_")}

    def _with_esims(self, order: dict[str, Any]) -> dict[str, Any]:
        shown = self._public(order)
        ready = self._ready(order["orderReference"])
        shown["order"] = [
            {
                **line,
                "esims": [
                    {k: self.esims[i][k] for k in ("iccid", "matchingId", "smdpAddress")}
                    for i in line["iccids"]
                ]
                if ready
                else [],
            }
            for line in order["order"]
        ]
        shown["assigned"] = ready
        return shown

    def _orders(self, query: dict[str, str]) -> tuple[str, Any]:
        since = 0.0
        raw = query.get("createdAt", "")
        if raw.startswith("gte:"):
            parsed = datetime.fromisoformat(raw.removeprefix("gte:").replace("Z", "+00:00"))
            since = parsed.timestamp()
        found = [
            self._with_esims(o)
            for o in sorted(self.orders.values(), key=lambda o: o["_created"])
            if o["_created"] >= since
        ]
        per_page = max(1, min(int(query.get("perPage") or 50), 200))
        page = max(1, int(query.get("page") or 1))
        rows = found[(page - 1) * per_page : page * per_page]
        return "200 OK", {"orders": rows, "pageCount": max(1, -(-len(found) // per_page))}

    def _assignments(self, query: dict[str, str]) -> tuple[str, Any]:
        reference = query.get("reference", "")
        order = self.orders.get(reference)
        if order is None:
            return _not_found("Reference not found")
        if not self._ready(reference):
            return "200 OK", []
        return "200 OK", [
            {
                "iccid": iccid,
                "matchingId": self.esims[iccid]["matchingId"],
                "smdpAddress": self.esims[iccid]["smdpAddress"],
                "profileStatus": self.esims[iccid]["profileStatus"],
                "pin": "1234",
                "puk": "12345678",
                "firstInstalledDateTime": None,
            }
            for line in order["order"]
            for iccid in line["iccids"]
        ]

    # -- usage and callbacks -----------------------------------------------

    def _traffic(self) -> None:
        if not self.traffic_mb_per_hour:
            return
        now = time.monotonic()
        due = {}
        with self._lock:
            for iccid, (sold, done) in self._sold.items():
                total = int((now - sold) * self.traffic_mb_per_hour / 3600)
                if total > done:
                    due[iccid] = total - done
                    self._sold[iccid] = (sold, total)
        for iccid, megabytes in due.items():
            self.use_data(iccid, megabytes * MB)

    def use_data(self, iccid: str, volume: int) -> None:
        """Traffic on the eSIM, taken from its oldest bundle with data left;
        a ``Utilisation`` callback goes as each level of a bundle is crossed."""
        with self._lock:
            esim = self.esims[iccid]
            for group in esim["bundles"]:
                for assignment in group["assignments"]:
                    if volume <= 0 or assignment["unlimited"]:
                        continue
                    before = assignment["remainingQuantity"]
                    taken = min(before, volume)
                    if not taken:
                        continue
                    assignment["remainingQuantity"] = before - taken
                    assignment["bundleState"] = (
                        "depleted" if assignment["remainingQuantity"] == 0 else "active"
                    )
                    volume -= taken
                    initial = assignment["initialQuantity"] or 1
                    crossed = [
                        level
                        for level in UTILISATION_LEVELS
                        if (initial - before) / initial
                        < level
                        <= (initial - before + taken) / initial
                    ]
                    if crossed:
                        self._callback(iccid, group, assignment, "Utilisation")

    def _callback(
        self, iccid: str, group: dict[str, Any], assignment: dict[str, Any], alert: str
    ) -> None:
        """A usage callback (v3): signed with the API key, base64."""
        body = json.dumps(
            {
                "iccid": iccid,
                "alertType": alert,
                "bundle": {
                    "id": assignment["id"],
                    "reference": assignment["assignmentReference"],
                    "name": group["name"],
                    "description": group["description"],
                    "initialQuantity": assignment["initialQuantity"],
                    "remainingQuantity": assignment["remainingQuantity"],
                    "startTime": assignment["assignmentDateTime"],
                    "endTime": assignment["assignmentDateTime"],
                    "unlimited": assignment["unlimited"],
                },
            }
        ).encode()
        headers = {SIGNATURE_HEADER: sign(self.api_key, body)}
        self.outbox.append((body, headers))
        if self.webhook_url:
            deliver(self.webhook_url, body, headers, duplicate_rate=self.duplicate_rate)

    def ledger(self) -> dict[str, Any]:
        """What it did, for the fault-injection tally. eSIM Go takes no
        transaction id of ours: an order is known by its reference."""
        with self._lock:
            return {
                "orders": [
                    {
                        "reference": o["orderReference"],
                        "iccid": o["order"][0]["iccids"][0] if o["order"][0]["iccids"] else "",
                        "cancelled": False,
                    }
                    for o in self.orders.values()
                ],
                "notifications": len(self.outbox),
            }


def _not_found(message: str) -> tuple[str, Any]:
    return "404 Not Found", {"message": message}

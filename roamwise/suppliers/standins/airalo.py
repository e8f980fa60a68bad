"""Stand-in for the Airalo Partner API v2 (see ``roamwise/suppliers/airalo.py``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from roamwise.suppliers.standins.server import deliver

COUNTRIES = ("ES", "FR", "DE", "IT", "PT", "GR", "JP", "US", "TH", "TR")


@dataclass
class AiraloStandin:
    client_id: str = "standin-client"
    client_secret: str = "standin-secret"  # noqa: S105 - a stand-in's fixed credential
    webhook_url: str = ""
    package_count: int = 20
    token_lifetime: int = 3600
    # Seconds between an async order's 202 and its webhook.
    async_delay: float = 0.2
    # At most this many requests per minute, then 429.
    rate_limit: int = 600
    retry_after: int = 1
    out_of_stock: bool = False
    # The share of notifications sent twice, the copy a little later.
    duplicate_rate: float = 0.0
    credit: float = 100_000.0
    # Airalo caches usage 20 minutes: a reading is answered again until then.
    usage_cache: float = 1200.0
    # Simulated traffic on every eSIM sold, for a demo (0: only ``use_data``).
    traffic_mb_per_hour: float = 0.0
    places: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    sims: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    token_requests: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._window: list[float] = []
        self._usage_read: dict[str, tuple[float, dict[str, Any]]] = {}
        self.usage_requests: list[str] = []
        if not self.places:
            self.places = self.make_catalogue(self.package_count)

    @staticmethod
    def make_catalogue(count: int, *, net_price: float = 3.5) -> list[dict[str, Any]]:
        places: dict[str, dict[str, Any]] = {}
        for i in range(count):
            country = COUNTRIES[i % len(COUNTRIES)]
            is_global = i % 5 == 4
            slug = "europe" if is_global else country.lower()
            place = places.setdefault(
                slug,
                {
                    "slug": slug,
                    "country_code": "" if is_global else country,
                    "title": "Europe" if is_global else country,
                    "operators": [
                        {
                            "id": len(places) + 1,
                            "type": "global" if is_global else "local",
                            "title": f"Op {slug}",
                            "is_fair_usage_policy": True,
                            "fair_usage_policy": "1 GB/day at full speed, then 512 kbps",
                            "countries": [{"country_code": c} for c in ("ES", "FR", "DE")]
                            if is_global
                            else [],
                            "coverages": [
                                {
                                    "name": country,
                                    "networks": [{"name": f"Net{country}", "types": ["5G"]}],
                                }
                            ],
                            "packages": [],
                        }
                    ],
                },
            )
            unlimited = i % 7 == 6
            gb = i % 20 + 1
            place["operators"][0]["packages"].append(
                {
                    "id": f"{slug}-{i}-{gb}gb-{7 + i % 3 * 8}days",
                    "type": "sim",
                    "title": f"{gb} GB - {7 + i % 3 * 8} Days",
                    "price": round(net_price + i * 0.1 + 2, 2),
                    "net_price": round(net_price + i * 0.1, 2),
                    "amount": 0 if unlimited else gb * 1024,
                    "day": 7 + i % 3 * 8,
                    "is_unlimited": unlimited,
                    "data": "Unlimited" if unlimited else f"{gb} GB",
                }
            )
        return list(places.values())

    def _all_packages(self) -> dict[str, dict[str, Any]]:
        return {
            p["id"]: p for place in self.places for op in place["operators"] for p in op["packages"]
        }

    def sign(self, body: bytes) -> str:
        return hmac.new(self.client_secret.encode(), body, hashlib.sha512).hexdigest()

    # -- WSGI --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "").removeprefix("/v2/").strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        if self._rate_limited():
            return self._answer(
                start_response,
                429,
                {"data": [], "meta": {"message": "Too Many Attempts."}},
                [("Retry-After", str(self.retry_after))],
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if path == "token" and method == "POST":
            return self._token(start_response, raw)
        bearer = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        with self._lock:
            expires = self.tokens.get(bearer, 0)
        if expires < time.time():
            return self._answer(
                start_response, 401, {"data": [], "meta": {"message": "Unauthenticated."}}
            )
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return self._answer(
                start_response,
                422,
                {
                    "data": {"body": "must be a JSON object"},
                    "meta": {"message": "the request failed validation"},
                },
            )
        self._traffic()
        with self._lock:
            status, payload = self._route(method, path, query, body)
        return self._answer(start_response, status, payload)

    def _traffic(self) -> None:
        """Data used since the eSIM was sold, at ``traffic_mb_per_hour``."""
        if not self.traffic_mb_per_hour:
            return
        now = time.monotonic()
        with self._lock:
            due = {}
            for iccid, sim in self.sims.items():
                total = int((now - sim["sold"]) * self.traffic_mb_per_hour / 3600)
                if total > sim["traffic"]:
                    due[iccid] = total - sim["traffic"]
                    sim["traffic"] = total
        for iccid, mb in due.items():
            self.use_data(iccid, mb)

    def _rate_limited(self) -> bool:
        now = time.monotonic()
        with self._lock:
            self._window = [t for t in self._window if now - t < 60.0]
            if len(self._window) >= self.rate_limit:
                return True
            self._window.append(now)
        return False

    @staticmethod
    def _answer(
        start_response: Any,
        status: int,
        body: dict[str, Any],
        headers: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        reasons = {
            200: "OK",
            202: "Accepted",
            401: "Unauthorized",
            404: "Not Found",
            422: "Unprocessable Entity",
            429: "Too Many Requests",
        }
        data = json.dumps(body).encode()
        start_response(
            f"{status} {reasons.get(status, 'Error')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *(headers or []),
            ],
        )
        return [data]

    def _token(self, start_response: Any, raw: bytes) -> list[bytes]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        self.token_requests += 1
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or not hmac.compare_digest(form.get("client_secret", ""), self.client_secret)
        ):
            return self._answer(
                start_response,
                401,
                {"data": [], "meta": {"message": "Invalid client credentials."}},
            )
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.time() + self.token_lifetime
        return self._answer(
            start_response,
            200,
            {
                "data": {
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "access_token": token,
                },
                "meta": {"message": "success"},
            },
        )

    def _route(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == "packages":
            kind = query.get("filter[type]", "local")
            limit, page = int(query.get("limit", 100)), int(query.get("page", 1))
            found = [p for p in self.places if p["operators"][0]["type"] == kind]
            chunk = found[(page - 1) * limit : page * limit]
            return 200, {
                "data": chunk,
                "meta": {
                    "message": "success",
                    "current_page": page,
                    "last_page": max(1, -(-len(found) // limit)),
                },
            }
        if method == "POST" and path in ("orders", "orders-async"):
            return self._order(body, asynchronous=path == "orders-async")
        if method == "GET" and path.startswith("orders/"):
            order = self.orders.get(path.removeprefix("orders/"))
            return (
                (200, {"data": order, "meta": {"message": "success"}})
                if order
                else (404, {"data": [], "meta": {"message": "Order not found."}})
            )
        if method == "POST" and path == "orders/topups":
            return self._topup(body)
        if method == "GET" and path.startswith("sims/") and path.endswith("/usage"):
            iccid = path.split("/")[1]
            self.usage_requests.append(iccid)
            sim = self.sims.get(iccid)
            if sim is None:
                return 404, {"data": [], "meta": {"message": "Sim not found."}}
            cached = self._usage_read.get(iccid)
            if cached is None or time.monotonic() - cached[0] >= self.usage_cache:
                cached = (
                    time.monotonic(),
                    {
                        "remaining": sim["remaining"],
                        "total": sim["total"],
                        "is_unlimited": sim["is_unlimited"],
                        "status": "ACTIVE",
                    },
                )
                self._usage_read[iccid] = cached
            return 200, {"data": dict(cached[1]), "meta": {"message": "success"}}
        if method == "GET" and path == "balance":
            return 200, {
                "data": {
                    "balances": {
                        "name": "balance",
                        "availableBalance": {"amount": round(self.credit, 2), "currency": "USD"},
                    }
                },
                "meta": {"message": "success"},
            }
        if method == "GET" and path == "orders":
            wanted = query.get("filter[description]")
            found = [
                o
                for o in self.orders.values()
                # Filtered by description, top-ups are found too (ADR 0037).
                if (o["type"] == "sim" and wanted is None) or o.get("description") == wanted
            ]
            return 200, {"data": found, "meta": {"message": "success"}}
        return 404, {"data": [], "meta": {"message": "Not found."}}

    def _order(self, body: dict[str, Any], *, asynchronous: bool) -> tuple[int, dict[str, Any]]:
        package = self._all_packages().get(str(body.get("package_id", "")))
        if package is None or package["type"] != "sim":
            return 422, {
                "data": {"package_id": "The selected package is invalid."},
                "meta": {"message": "the request failed validation"},
            }
        if self.out_of_stock:
            return 422, {
                "data": {"package_id": "This package is out of stock."},
                "meta": {"message": "out of stock"},
            }
        if self.credit < package["net_price"]:
            return 422, {"data": {}, "meta": {"message": "Insufficient Airalo credit."}}
        self.credit -= package["net_price"]
        order = self._make_order(package, str(body.get("description", "")))
        if not asynchronous:
            return 200, {"data": order, "meta": {"message": "success"}}
        request_id = secrets.token_hex(12)[:25]
        url = str(body.get("webhook_url") or self.webhook_url)
        timer = threading.Timer(self.async_delay, self._deliver, args=(url, request_id, order))
        timer.daemon = True
        timer.start()
        return 202, {
            "data": {"request_id": request_id, "accepted_at": time.strftime("%Y-%m-%d %H:%M:%S")},
            "meta": {"message": "success"},
        }

    def _make_order(self, package: dict[str, Any], description: str) -> dict[str, Any]:
        iccid = "8997" + "".join(secrets.choice("0123456789") for _ in range(15))
        matching_id = secrets.token_hex(6).upper()
        order_id = str(len(self.orders) + 1000)
        order = {
            "id": order_id,
            "code": time.strftime("%Y%m%d") + "-" + order_id,
            "package_id": package["id"],
            "quantity": 1,
            "type": "sim",
            "description": description,
            "price": package["net_price"],
            "currency": "USD",
            "validity": package["day"],
            "data": package["data"],
            "sims": [
                {
                    "iccid": iccid,
                    "lpa": "lpa.standin.example",
                    "matching_id": matching_id,
                    "qrcode": f"LPA:1$lpa.standin.example${matching_id}",
                }
            ],
        }
        self.orders[order_id] = order
        self.sims[iccid] = {
            "total": package["amount"],
            "remaining": package["amount"],
            "is_unlimited": package["is_unlimited"],
            "sold": time.monotonic(),
            "traffic": 0,
        }
        return order

    def use_data(self, iccid: str, mb: int) -> None:
        """Traffic on the eSIM: at 75 % and 90 % used, the signed low-data
        notification goes to the webhook URL, once each."""
        with self._lock:
            sim = self.sims[iccid]
            sim["remaining"] = max(0, sim["remaining"] - mb)
            used = sim["total"] - sim["remaining"]
            told = sim.setdefault("levels_told", [])
            levels = [lvl for lvl in (75, 90) if used * 100 >= sim["total"] * lvl]
            fresh = [lvl for lvl in levels if lvl not in told]
            told.extend(fresh)
        if fresh:
            self.notify(
                {
                    "level": f"{fresh[-1]}%",
                    "package_name": "standin package",
                    "remaining_percentage": 100 - fresh[-1],
                    "iccid": iccid,
                }
            )

    def notify(self, payload: dict[str, Any]) -> None:
        """A notification signed as Airalo signs it, to the webhook URL set."""
        body = json.dumps(payload).encode()
        headers = {"airalo-signature": self.sign(body)}
        with self._lock:
            self.outbox.append((body, headers))
        if self.webhook_url:
            deliver(self.webhook_url, body, headers, duplicate_rate=self.duplicate_rate)

    def _deliver(self, url: str, request_id: str, order: dict[str, Any]) -> None:
        body = json.dumps(
            {"request_id": request_id, "data": order, "meta": {"message": "success"}}
        ).encode()
        headers = {"airalo-signature": self.sign(body)}
        with self._lock:
            self.outbox.append((body, headers))
        if url:
            deliver(url, body, headers, duplicate_rate=self.duplicate_rate)

    def ledger(self) -> dict[str, Any]:
        """What it did, for the fault-injection tally."""
        with self._lock:
            return {
                "orders": [
                    {"transaction_id": o["description"], "iccid": o["sims"][0]["iccid"]}
                    for o in self.orders.values()
                    if o["type"] == "sim"
                ],
                "notifications": len(self.outbox),
            }

    def _topup(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sim = self.sims.get(str(body.get("iccid", "")))
        if sim is None:
            return 422, {
                "data": {"iccid": "The selected iccid is invalid."},
                "meta": {"message": "the request failed validation"},
            }
        package = self._all_packages().get(str(body.get("package_id", "")))
        if package is None:
            return 422, {
                "data": {"package_id": "The selected package is invalid."},
                "meta": {"message": "the request failed validation"},
            }
        if self.credit < package["net_price"]:
            return 422, {"data": {}, "meta": {"message": "Insufficient Airalo credit."}}
        sim["total"] += package["amount"]
        sim["remaining"] += package["amount"]
        self.credit -= package["net_price"]
        order_id = str(len(self.orders) + 1000)
        self.orders[order_id] = {
            "id": order_id,
            "package_id": package["id"],
            "type": "topup",
            "description": str(body.get("description", "")),
            "price": package["net_price"],
            "currency": "USD",
        }
        return 200, {"data": self.orders[order_id], "meta": {"message": "success"}}

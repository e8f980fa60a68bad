"""Stand-in for eSIM Access's open API v1 (see ``roamwise/suppliers/esimaccess.py``)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from roamwise.suppliers.standins.server import deliver

MB = 1024 * 1024
LOW_DATA_LEFT = 100 * MB  # eSIM Access: "eSIM Data is 100Mb or less"
COUNTRIES = ("ES", "FR", "DE", "IT", "PT", "GR", "JP", "US", "TH", "TR")


@dataclass
class _Order:
    order_no: str
    transaction_id: str
    package_code: str
    ready_at: float
    esim: dict[str, Any] | None = None


@dataclass
class EsimAccessStandin:
    access_code: str = "standin-access-code"
    webhook_url: str = ""
    # Seconds from order to allocated profile (the real one takes a few).
    allocation_delay: float = 0.5
    package_count: int = 20
    profiles_left: int = 1_000_000
    balance: int = 1_000_000 * 10_000  # ten-thousandths of USD
    # At most this many requests per second, then 429 (eSIM Access: 8/s).
    rate_limit: int = 8
    retry_after: int = 1
    # The share of notifications sent twice, the copy a little later.
    duplicate_rate: float = 0.0
    # Simulated traffic on every allocated eSIM, for a demo (0: only ``use_data``).
    traffic_mb_per_hour: float = 0.0
    packages: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, _Order] = field(default_factory=dict)
    outbox: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    requests_seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._window: list[float] = []
        # Per ICCID: when it was allocated and the simulated traffic so far.
        self._sold: dict[str, tuple[float, int]] = {}
        self._low_data_told: set[str] = set()
        if not self.packages:
            self.packages = [self.make_package(i) for i in range(self.package_count)]

    @staticmethod
    def make_package(i: int, *, price: int | None = None) -> dict[str, Any]:
        country = COUNTRIES[i % len(COUNTRIES)]
        unlimited = i % 7 == 6
        regional = i % 5 == 4
        return {
            "packageCode": f"P{i:05d}",
            "slug": f"{country}_{i}" if not regional else f"EU-{i}",
            "name": f"{country} {i % 20 + 1}GB {7 + i % 3 * 8}Days",
            "price": price if price is not None else 10_000 + i * 1_000,
            "currencyCode": "USD",
            "volume": 0 if unlimited else (i % 20 + 1) * 1024 * MB,
            "duration": 7 + i % 3 * 8,
            "durationUnit": "DAY",
            "locationCode": "!RG" if regional else country,
            "location": "ES,FR,DE" if regional else country,
            "fupPolicy": "2 GB/day at full speed, then 512 kbps" if unlimited else "",
            "locationNetworkList": [
                {
                    "locationCode": country,
                    "operatorList": [{"operatorName": f"Net{country}", "networkType": "5G"}],
                }
            ],
        }

    # -- WSGI --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        self.requests_seen.append(path)
        if self._rate_limited():
            return self._answer(
                start_response,
                "429 Too Many Requests",
                {
                    "success": False,
                    "errorCode": "429",
                    "errorMsg": "Too many requests",
                    "obj": None,
                },
                [("Retry-After", str(self.retry_after))],
            )
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith("/api/v1/open/"):
            return self._answer(
                start_response,
                "404 Not Found",
                {
                    "success": False,
                    "errorCode": "000103",
                    "errorMsg": "Unsupported method",
                    "obj": None,
                },
            )
        if environ.get("HTTP_RT_ACCESSCODE", "") != self.access_code:
            return self._fail(start_response, "000101", "Missing or wrong RT-AccessCode")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return self._fail(start_response, "000104", "Invalid JSON")
        handler = self.ROUTES.get(path.removeprefix("/api/v1/open/"))
        if handler is None:
            return self._fail(start_response, "000103", "Unsupported method")
        self._traffic()
        with self._lock:
            self._allocate_due()
            outcome = handler(self, body)
        if isinstance(outcome, tuple):
            return self._fail(start_response, *outcome)
        return self._answer(
            start_response,
            "200 OK",
            {"success": True, "errorCode": None, "errorMsg": None, "obj": outcome},
        )

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
        start_response: Any,
        status: str,
        body: dict[str, Any],
        headers: list[tuple[str, str]] | None = None,
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

    def _fail(self, start_response: Any, code: str, message: str) -> list[bytes]:
        # eSIM Access answers HTTP 200 with success false.
        return self._answer(
            start_response,
            "200 OK",
            {"success": False, "errorCode": code, "errorMsg": message, "obj": None},
        )

    # -- endpoints ---------------------------------------------------------

    def _package_list(self, body: dict[str, Any]) -> Any:
        code = body.get("packageCode")
        listed = self.packages if body.get("type", "BASE") == "BASE" else self.top_ups()
        found = [p for p in listed if not code or p["packageCode"] == code]
        if code and not found:
            return ("310241", "The packageCode does not exist.")
        return {"packageList": found}

    def top_ups(self) -> list[dict[str, Any]]:
        """Top-up packages: one per local package, same data and price."""
        return [
            {**p, "packageCode": f"TOPUP_{p['packageCode']}"}
            for p in self.packages
            if p["locationCode"] not in ("!RG", "!GL")
        ]

    def _order(self, body: dict[str, Any]) -> Any:
        transaction_id = str(body.get("transactionId") or "")
        items = body.get("packageInfoList") or []
        if not transaction_id or len(transaction_id) > 64 or not items:
            return ("000105", "Missing parameter")
        for existing in self.orders.values():
            if existing.transaction_id == transaction_id:
                return {"orderNo": existing.order_no, "transactionId": transaction_id}
        item = items[0]
        package = next(
            (p for p in self.packages if p["packageCode"] == item.get("packageCode")), None
        )
        if package is None:
            return ("310241", "The packageCode does not exist.")
        if item.get("price") != package["price"] or body.get("amount") != package["price"] * int(
            item.get("count", 1)
        ):
            return ("200005", "Package price error")
        if self.profiles_left <= 0:
            return ("200011", "Insufficient available Profiles for the package")
        if self.balance < package["price"]:
            return ("200007", "Insufficient account balance")
        self.balance -= package["price"]
        self.profiles_left -= 1
        order = _Order(
            "B" + secrets.token_hex(8).upper(),
            transaction_id,
            package["packageCode"],
            time.monotonic() + self.allocation_delay,
        )
        self.orders[order.order_no] = order
        if self.webhook_url:
            # Allocated when due and notified then, as the real one does, not
            # only when the next request happens to arrive.
            timer = threading.Timer(self.allocation_delay, self._allocate_when_due)
            timer.daemon = True
            timer.start()
        return {"orderNo": order.order_no, "transactionId": transaction_id}

    def _allocate_when_due(self) -> None:
        with self._lock:
            self._allocate_due()

    def _allocate_due(self) -> None:
        now = time.monotonic()
        for order in self.orders.values():
            if order.esim is None and order.ready_at <= now:
                self._allocate(order)

    def _allocate(self, order: _Order) -> None:
        package = next(p for p in self.packages if p["packageCode"] == order.package_code)
        iccid = "8944" + "".join(secrets.choice("0123456789") for _ in range(15))
        order.esim = {
            "esimTranNo": "T" + secrets.token_hex(6),
            "orderNo": order.order_no,
            "transactionId": order.transaction_id,
            "iccid": iccid,
            "ac": f"LPA:1$rsp.standin.example${secrets.token_hex(8).upper()}",
            "smdpStatus": "RELEASED",
            "esimStatus": "GOT_RESOURCE",
            "totalVolume": package["volume"],
            "orderUsage": 0,
        }
        self._sold[iccid] = (time.monotonic(), 0)
        body = json.dumps(
            {
                "notifyType": "ORDER_STATUS",
                "content": {
                    "orderNo": order.order_no,
                    "transactionId": order.transaction_id,
                    "orderStatus": "GOT_RESOURCE",
                },
            }
        ).encode()
        self._notify(body)

    def _notify(self, body: bytes) -> None:
        """Send a notification as eSIM Access does: unsigned JSON, to the URL set."""
        self.outbox.append((body, {}))
        if self.webhook_url:
            deliver(self.webhook_url, body, {}, duplicate_rate=self.duplicate_rate)

    def ledger(self) -> dict[str, Any]:
        """What it did, for the fault-injection tally."""
        with self._lock:
            return {
                "orders": [
                    {
                        "transaction_id": o.transaction_id,
                        "iccid": o.esim["iccid"] if o.esim else "",
                        "cancelled": bool(o.esim and o.esim["esimStatus"] == "CANCEL"),
                    }
                    for o in self.orders.values()
                ],
                "notifications": len(self.outbox),
            }

    def _notice(self, kind: str, esim: dict[str, Any], **content: Any) -> None:
        self._notify(
            json.dumps(
                {
                    "notifyType": kind,
                    "content": {
                        "orderNo": esim["orderNo"],
                        "transactionId": esim["transactionId"],
                        "iccid": esim["iccid"],
                        **content,
                    },
                }
            ).encode()
        )

    def _traffic(self) -> None:
        """Data used since the profile was allocated, at ``traffic_mb_per_hour``."""
        if not self.traffic_mb_per_hour:
            return
        now = time.monotonic()
        with self._lock:
            due = {}
            for iccid, (sold, done) in self._sold.items():
                total = int((now - sold) * self.traffic_mb_per_hour / 3600) * MB
                if total > done:
                    due[iccid] = total - done
                    self._sold[iccid] = (sold, total)
        for iccid, volume in due.items():
            self.use_data(iccid, volume)

    def esim_of(self, iccid: str) -> dict[str, Any]:
        return next(e for e in self._esims() if e["iccid"] == iccid)

    def install(self, iccid: str) -> None:
        """The customer installs the profile and uses it: ``ESIM_STATUS``."""
        with self._lock:
            esim = self.esim_of(iccid)
            esim["smdpStatus"], esim["esimStatus"] = "ENABLED", "IN_USE"
            self._notice("ESIM_STATUS", esim, esimStatus="IN_USE", smdpStatus="INSTALLATION")

    def use_data(self, iccid: str, volume: int) -> None:
        """Traffic on the eSIM: ``orderUsage`` grows; at 100 MB left or less the
        ``DATA_USAGE`` notification goes, once."""
        with self._lock:
            esim = self.esim_of(iccid)
            esim["orderUsage"] = min(esim["totalVolume"], esim["orderUsage"] + volume)
            remain = esim["totalVolume"] - esim["orderUsage"]
            if remain <= LOW_DATA_LEFT and iccid not in self._low_data_told:
                self._low_data_told.add(iccid)
                self._notice(
                    "DATA_USAGE",
                    esim,
                    totalVolume=esim["totalVolume"],
                    orderUsage=esim["orderUsage"],
                    remain=remain,
                )

    def validity_ends(self, iccid: str, expired_time: str) -> None:
        """One day of validity left: ``VALIDITY_USAGE``."""
        with self._lock:
            esim = self.esim_of(iccid)
            self._notice(
                "VALIDITY_USAGE",
                esim,
                durationUnit="DAY",
                totalDuration=7,
                expiredTime=expired_time,
                remain=1,
            )

    def allocate_now(self) -> None:
        with self._lock:
            for order in self.orders.values():
                if order.esim is None:
                    self._allocate(order)

    def _esims(self) -> list[dict[str, Any]]:
        return [o.esim for o in self.orders.values() if o.esim is not None]

    def _query(self, body: dict[str, Any]) -> Any:
        if body.get("orderNo"):
            order = self.orders.get(str(body["orderNo"]))
            if order is None:
                return ("200008", "Order parameter error")
            if order.esim is None:
                return ("200010", "The profile is being allocated")
            return {"esimList": [order.esim], "pager": {"pageNum": 1, "pageSize": 20, "total": 1}}
        found = [e for e in self._esims() if e["iccid"] == body.get("iccid")]
        return {"esimList": found, "pager": {"pageNum": 1, "pageSize": 20, "total": len(found)}}

    def _topup(self, body: dict[str, Any]) -> Any:
        esim = next((e for e in self._esims() if e["iccid"] == body.get("iccid")), None)
        if esim is None:
            return ("310211", "The iccid does not exist.")
        package = next(
            (p for p in self.top_ups() if p["packageCode"] == body.get("packageCode")), None
        )
        if package is None:
            return ("310241", "The packageCode does not exist.")
        if self.balance < package["price"]:
            return ("200007", "Insufficient account balance")
        esim["totalVolume"] += package["volume"]
        self.balance -= package["price"]
        return {
            "transactionId": body.get("transactionId"),
            "iccid": esim["iccid"],
            "totalVolume": esim["totalVolume"],
        }

    def _balance(self, body: dict[str, Any]) -> Any:
        return {"balance": self.balance}

    ROUTES: ClassVar[dict[str, Any]] = {}


def _esim_action(status: str) -> Any:
    def act(standin: EsimAccessStandin, body: dict[str, Any]) -> Any:
        esim = next(
            (e for e in standin._esims() if e["esimTranNo"] == body.get("esimTranNo")), None
        )
        if esim is None:
            return ("310211", "The esimTranNo does not exist.")
        esim["esimStatus"] = status
        return {}

    return act


EsimAccessStandin.ROUTES = {
    "package/list": EsimAccessStandin._package_list,
    "esim/order": EsimAccessStandin._order,
    "esim/query": EsimAccessStandin._query,
    "esim/topup": EsimAccessStandin._topup,
    "balance/query": EsimAccessStandin._balance,
    "esim/suspend": _esim_action("SUSPENDED"),
    "esim/unsuspend": _esim_action("IN_USE"),
    "esim/revoke": _esim_action("REVOKED"),
    "esim/cancel": _esim_action("CANCEL"),
}

"""eSIM Go (api.esim-go.com, API v2.4): the adapter.

Every request carries the ``X-API-Key`` header; answers are plain JSON (no
envelope), errors a status with ``{"message"}``. The catalogue lists bundles
by their case-sensitive ``name``: data in MB (``dataAmount``, decimal), days
(``duration``), the countries with ISO codes and region, and ``price`` in the
organisation's currency, which is what we pay. An order (``POST /orders``,
``type`` transaction, ``assign`` true) buys a bundle onto a new eSIM, or onto
an eSIM we name by ICCID (a top-up); its total is taken from our prepaid
balance. The answer has eSIM Go's ``orderReference``; the eSIM's install
details (ICCID, SM-DP+ address, matching ID) come from ``GET
/esims/assignments?reference=``. Assignment is usually at once but may take
up to ten minutes: until then the order is pending and polled. The remaining
data of every bundle on an eSIM is ``GET /esims/{iccid}/bundles`` (bytes).

eSIM Go takes no reference of ours with an order and documents no
idempotency, so an order whose answer was lost is looked up among our orders
of that bundle placed since (``GET /orders``), excluding those we know
(``find_order``), before it is ever sent again.

Usage callbacks (v3) are signed: HMAC-SHA256 of the raw body keyed with the
API key, base64. They report one bundle's figures, so they ask for a reading
of the whole eSIM rather than being applied as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext

from roamwise.core import http as core_http
from roamwise.suppliers.base import (
    Capability,
    Coverage,
    InstallDetails,
    Money,
    OrderStatus,
    Package,
    Supplier,
    SupplierOrder,
    Usage,
    WebhookEvent,
    network_generation,
)
from roamwise.suppliers.errors import (
    InvalidWebhook,
    NoCredit,
    OutOfStock,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from roamwise.suppliers.http import ESIM, ORDER, TOP_UP, Sent, SupplierHttp

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
BYTES_PER_MB = 1_000_000  # eSIM Go's units are decimal
# The header of the callback signature (v3 callbacks, enabled in the portal).
SIGNATURE_HEADER = "X-Signature-SHA256"
# Bundle states whose data still counts towards the eSIM's total.
LIVE_STATES = frozenset({"processing", "queued", "active", "depleted"})
# A lost order is looked for among orders placed from a little before its row.
LOOKUP_MARGIN = timedelta(seconds=5)


class EsimGo(Supplier):
    code = "esimgo"
    capabilities = frozenset(
        {
            Capability.SYNC_ORDER,
            Capability.TOP_UP,
            Capability.USAGE,
            Capability.BALANCE,
            Capability.ORDER_LOOKUP,
            Capability.TOP_UP_LOOKUP,
        }
    )
    # No cache documented: usage is event-driven; a reading a minute is plenty.
    usage_interval = timedelta(minutes=1)
    # Our orders cannot carry our transaction id: a lost one is found by its
    # bundle and time, excluding the orders we know (``find_order``).
    lookup_by_time = True

    def __init__(self, *, base_url: str, api_key: str, http: SupplierHttp) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http

    @classmethod
    def from_settings(cls) -> EsimGo:
        return cls(
            base_url=settings.ESIMGO_API_BASE,
            api_key=settings.ESIMGO_API_KEY,
            http=SupplierHttp.configured(supplier_code=cls.code, send=core_http.send),
        )

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.ESIMGO_API_KEY)

    # -- transport ---------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        sends: Sent | None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        url = f"{self.base_url}/{path}" + (f"?{urlencode(params)}" if params else "")
        try:
            response = self.http.request(
                method,
                url,
                sends=sends,
                json=json,
                headers={"Accept": "application/json", "X-API-Key": self.api_key},
            )
        except SupplierRejected as exc:
            raise _refusal(exc) from exc
        try:
            return response.json()
        except ValueError as exc:
            raise SupplierUnavailable(
                gettext("esimgo answered %(path)s with something we cannot read") % {"path": path},
                supplier_code=self.code,
            ) from exc

    # -- catalogue ---------------------------------------------------------

    def packages(self) -> list[Package]:
        result: list[Package] = []
        page = 1
        while True:
            data = self._call(
                "GET", "catalogue", sends=None, params={"page": page, "perPage": PAGE_SIZE}
            )
            try:
                bundles = data["bundles"] or []
                result += [self._package(raw) for raw in bundles]
                pages = int(data.get("pageCount") or 1)
            except (KeyError, TypeError, ValueError) as exc:
                raise SupplierUnavailable(
                    gettext("esimgo answered %(path)s with something we cannot read")
                    % {"path": "catalogue"},
                    supplier_code=self.code,
                ) from exc
            if page >= pages or not bundles:
                return result
            page += 1

    def _package(self, raw: dict[str, Any]) -> Package:
        countries = tuple(sorted({str(c["iso"]).upper() for c in raw.get("countries") or []}))
        regions = {str(c.get("region", "")) for c in raw.get("countries") or []}
        unlimited = bool(raw.get("unlimited"))
        if len(countries) == 1:
            coverage, region = Coverage.LOCAL, ""
        elif "Global" in regions or len(regions) > 1:
            coverage, region = Coverage.GLOBAL, "Global"
        else:
            coverage, region = Coverage.REGIONAL, next(iter(regions), "")
        groups = [str(g) for g in raw.get("groups") or []]
        return Package(
            package_id=str(raw["name"]),
            title=str(raw.get("description") or raw["name"]),
            coverage=coverage,
            countries=countries,
            data_mb=0 if unlimited else max(0, int(raw.get("dataAmount") or 0)),
            validity_days=int(raw.get("duration") or 0),
            wholesale=Money(_decimal(raw["price"]), settings.ESIMGO_CURRENCY),
            unlimited=unlimited,
            # eSIM Go's unlimited groups say their fair use in their name.
            fair_use=", ".join(g for g in groups if "Unlimited" in g) if unlimited else "",
            region=region,
            network_generation=network_generation(str(s) for s in raw.get("speed") or []),
        )

    # -- orders ------------------------------------------------------------

    def _order_body(self, package_id: str, iccids: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "type": "transaction",
            "assign": True,
            "order": [
                {
                    "type": "bundle",
                    "quantity": 1,
                    "item": package_id,
                    "iccids": list(iccids),
                    "allowReassign": False,
                }
            ],
        }

    def order(self, *, package_id: str, transaction_id: str) -> SupplierOrder:
        data = self._call(
            "POST",
            "orders",
            sends=Sent(ORDER, transaction_id=transaction_id),
            json=self._order_body(package_id),
        )
        reference = str(data.get("orderReference") or "")
        if not reference:
            raise SupplierUnavailable(
                gettext("esimgo answered %(path)s with something we cannot read")
                % {"path": "orders"},
                supplier_code=self.code,
            )
        return self._with_install(reference, transaction_id, _cost(data))

    def _with_install(
        self, reference: str, transaction_id: str, cost: Money | None
    ) -> SupplierOrder:
        """The order with its eSIM's install details, or pending while eSIM Go assigns it."""
        found = self._call(
            "GET",
            "esims/assignments",
            sends=Sent(ORDER, reference=reference),
            params={"reference": reference},
        )
        install = None
        if isinstance(found, list) and found:
            try:
                first = found[0]
                install = InstallDetails(
                    iccid=str(first["iccid"]),
                    smdp_address=str(first["smdpAddress"]),
                    matching_id=str(first["matchingId"]),
                )
            except (KeyError, TypeError) as exc:
                raise SupplierUnavailable(
                    gettext("esimgo answered %(path)s with something we cannot read")
                    % {"path": "esims/assignments"},
                    supplier_code=self.code,
                ) from exc
        return SupplierOrder(
            transaction_id=transaction_id,
            reference=reference,
            status=OrderStatus.READY if install else OrderStatus.PENDING,
            install=install,
            cost=cost,
        )

    def order_status(self, *, reference: str) -> SupplierOrder:
        data = self._call("GET", f"orders/{reference}", sends=Sent(ORDER, reference=reference))
        return self._with_install(reference, "", _cost(data))

    def find_order(
        self,
        *,
        transaction_id: str,
        package_id: str = "",
        placed_after: datetime | None = None,
        known: frozenset[str] = frozenset(),
    ) -> SupplierOrder | None:
        # No reference of ours travels with an eSIM Go order: the first order of
        # this bundle, placed since the row was written, whose reference and
        # eSIM no row of ours holds (``known``), is the one whose answer was lost.
        params: dict[str, Any] = {"perPage": PAGE_SIZE, "page": 1, "includeIccids": "true"}
        if placed_after is not None:
            since = placed_after - LOOKUP_MARGIN
            params["createdAt"] = "gte:" + since.strftime("%Y-%m-%dT%H:%M:%SZ")
        data = self._call(
            "GET", "orders", sends=Sent(ORDER, transaction_id=transaction_id), params=params
        )
        for found in (data or {}).get("orders") or []:
            reference = str(found.get("orderReference") or "")
            lines = found.get("order") or []
            if (
                reference
                and reference not in known
                and lines
                and lines[0].get("item") == package_id
                and found.get("status") == "completed"
                # A top-up goes onto an eSIM we already hold.
                and not set(map(str, lines[0].get("iccids") or [])) & known
            ):
                return self._with_install(reference, transaction_id, _cost(found))
        return None

    def top_up(self, *, iccid: str, package_id: str, transaction_id: str) -> SupplierOrder:
        data = self._call(
            "POST",
            "orders",
            sends=Sent(TOP_UP, iccid=iccid),
            json=self._order_body(package_id, [iccid]),
        )
        return SupplierOrder(
            transaction_id=transaction_id,
            reference=str(data.get("orderReference") or ""),
            status=OrderStatus.READY,
            cost=_cost(data),
        )

    def find_top_up(
        self, *, iccid: str, package_id: str, transaction_id: str, placed_after: datetime
    ) -> SupplierOrder | None:
        # The bundle's assignments on the eSIM: one made since the top-up row
        # was written is the top-up that landed.
        for group in self._bundles(iccid):
            if group.get("name") != package_id:
                continue
            for assignment in group.get("assignments") or []:
                assigned = _parse_time(assignment.get("assignmentDateTime"))
                if assigned is not None and assigned >= placed_after - LOOKUP_MARGIN:
                    return SupplierOrder(
                        transaction_id=transaction_id,
                        reference=str(assignment.get("assignmentReference") or ""),
                        status=OrderStatus.READY,
                    )
        return None

    def _bundles(self, iccid: str) -> list[dict[str, Any]]:
        data = self._call(
            "GET",
            f"esims/{iccid}/bundles",
            sends=Sent(ESIM, iccid=iccid),
            params={"includeUsed": "true", "limit": 200},
        )
        bundles = (data or {}).get("bundles")
        if not isinstance(bundles, list):
            raise SupplierUnavailable(
                gettext("esimgo answered %(path)s with something we cannot read")
                % {"path": "esims/bundles"},
                supplier_code=self.code,
            )
        return bundles

    def usage(self, *, iccid: str) -> Usage:
        total = remaining = 0
        unlimited = False
        for group in self._bundles(iccid):
            for assignment in group.get("assignments") or []:
                if assignment.get("bundleState") not in LIVE_STATES:
                    continue
                if assignment.get("unlimited"):
                    unlimited = True
                    continue
                total += int(assignment.get("initialQuantity") or 0)
                remaining += int(assignment.get("remainingQuantity") or 0)
        return Usage(
            iccid=iccid,
            total_mb=0 if unlimited else total // BYTES_PER_MB,
            remaining_mb=0 if unlimited else remaining // BYTES_PER_MB,
            unlimited=unlimited,
        )

    def balance(self) -> Money:
        data = self._call("GET", "organisation", sends=None)
        try:
            organisation = data["organisations"][0]
            return Money(_decimal(organisation["balance"]), str(organisation["currency"]))
        except (KeyError, IndexError, TypeError) as exc:
            raise SupplierUnavailable(
                gettext("esimgo answered %(path)s with something we cannot read")
                % {"path": "organisation"},
                supplier_code=self.code,
            ) from exc

    # -- callbacks ---------------------------------------------------------

    def signature_of(self, body: bytes) -> str:
        digest = hmac.new(self.api_key.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        # Checked on the raw body, before it is parsed (as eSIM Go asks).
        signature = headers.get(SIGNATURE_HEADER, "")
        if not (
            self.api_key and signature and hmac.compare_digest(self.signature_of(body), signature)
        ):
            raise InvalidWebhook(gettext("missing or wrong eSIM Go callback signature"))
        try:
            payload = json.loads(body)
            iccid = str(payload["iccid"])
            alert = str(payload["alertType"])
            bundle = payload["bundle"]
            if not iccid or not isinstance(bundle, dict):
                raise ValueError("no iccid or bundle")
            figures = (bundle.get("remainingQuantity"), bundle.get("initialQuantity"))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(
                gettext("malformed eSIM Go callback: %(exc)s") % {"exc": exc}
            ) from exc
        return WebhookEvent(
            # The same bundle at the same level is the same notice, however often sent.
            event_id=hashlib.sha256(body).hexdigest(),
            # Its figures are one bundle's: it asks for a reading of the whole eSIM.
            kind="low_data",
            iccid=iccid,
            detail={"alert": alert, "remaining": str(figures[0]), "initial": str(figures[1])},
        )


def _cost(data: Any) -> Money | None:
    try:
        return Money(_decimal(data["total"]), str(data.get("currency") or settings.ESIMGO_CURRENCY))
    except (KeyError, TypeError):
        return None


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _refusal(exc: SupplierRejected) -> SupplierError:
    """eSIM Go refuses with a status and a message: our balance running out
    and an unknown bundle are told apart, so that the order fails over."""
    text = exc.message.lower()
    if "balance" in text or "credit" in text:
        return NoCredit(exc.message, supplier_code="esimgo", detail=exc.detail)
    if "not found" in text and "bundle" in text:
        return SupplierNotFound(exc.message, supplier_code="esimgo", detail=exc.detail)
    if "no esims available" in text or "out of stock" in text:
        return OutOfStock(exc.message, supplier_code="esimgo", detail=exc.detail)
    return exc


def _decimal(value: Any) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise SupplierUnavailable(
            gettext("esimgo sent an unreadable price %(value)r") % {"value": value},
            supplier_code="esimgo",
        ) from exc
    if not result.is_finite():
        raise SupplierUnavailable(
            gettext("esimgo sent an unreadable price %(value)r") % {"value": value},
            supplier_code="esimgo",
        )
    return result

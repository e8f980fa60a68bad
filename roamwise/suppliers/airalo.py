"""Airalo Partner API v2: the adapter.

A small client of our own rather than the official ``airalo-sdk``: the SDK's
base URL is fixed to production (``Config.get_url``), it caches tokens in
pickle files under the temporary directory and speaks urllib without our
typed errors (ADR 0020).

OAuth2 client credentials (``POST token``) give a bearer token, kept in the
cache until shortly before it expires. Every answer is ``{"data", "meta"}``.
Prices are decimal USD: ``price`` is the recommended retail price and
``net_price`` what we pay. Data is in MB (``amount``, 0 when unlimited).
Orders are synchronous (``POST orders``) or asynchronous (``POST
orders-async``: 202 and a ``request_id``; the order arrives at our webhook).
Webhooks are signed with HMAC-SHA512 of the body, keyed with the client
secret, hex in ``airalo-signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
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
    SupplierRejected,
    SupplierUnavailable,
)
from roamwise.suppliers.http import ESIM, ORDER, TOP_UP, Sent, SupplierHttp

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
TOKEN_MARGIN_SECONDS = 60  # renew a little before the token expires
CURRENCY = "USD"  # Airalo: "currency: Always USD"


class Airalo(Supplier):
    code = "airalo"
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

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        http: SupplierHttp,
        webhook_url: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        # When set, orders go through orders-async and arrive at this URL.
        self.webhook_url = webhook_url

    @classmethod
    def from_settings(cls) -> Airalo:
        return cls(
            base_url=settings.AIRALO_API_BASE,
            client_id=settings.AIRALO_CLIENT_ID,
            client_secret=settings.AIRALO_CLIENT_SECRET,
            http=SupplierHttp.configured(supplier_code=cls.code, send=core_http.send),
            webhook_url=(
                settings.SITE_URL.rstrip("/") + reverse("suppliers:airalo-webhook")
                if settings.AIRALO_ASYNC_ORDERS
                else ""
            ),
        )

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.AIRALO_CLIENT_ID and settings.AIRALO_CLIENT_SECRET)

    # -- transport ---------------------------------------------------------

    @property
    def _token_key(self) -> str:
        digest = hashlib.sha256(f"{self.base_url}|{self.client_id}".encode()).hexdigest()[:16]
        return f"suppliers:airalo:token:{digest}"

    def _token(self) -> str:
        token: str | None = cache.get(self._token_key)
        if token:
            return token
        form = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
        }
        response = self.http.request(
            "POST",
            f"{self.base_url}/token",
            sends=None,
            data=urlencode(form).encode(),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        data = self._data(response, "token")
        token = str(data["access_token"])
        ttl = max(1, int(data.get("expires_in", 0)) - TOKEN_MARGIN_SECONDS)
        cache.set(self._token_key, token, ttl)
        return token

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
        for attempt in (1, 2):
            try:
                response = self.http.request(
                    method,
                    url,
                    sends=sends if attempt == 1 else None,  # disclosed once
                    json=json,
                    headers={
                        "Accept": "application/json",
                        "Authorization": f"Bearer {self._token()}",
                    },
                )
            except SupplierRejected as exc:
                if exc.detail == "401" and attempt == 1:
                    # The token was revoked or expired early: fetch a new one, once.
                    cache.delete(self._token_key)
                    continue
                refusal = _refusal(exc)
                if refusal is exc:
                    raise
                raise refusal from exc
            return self._data(response, path)
        raise AssertionError("unreachable")

    def _data(self, response: Any, path: str) -> Any:
        try:
            return response.json()["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SupplierUnavailable(
                gettext("airalo answered %(path)s with no envelope") % {"path": path},
                supplier_code=self.code,
            ) from exc

    # -- catalogue ---------------------------------------------------------

    def packages(self) -> list[Package]:
        result: list[Package] = []
        for kind in ("local", "global"):
            page = 1
            while True:
                data = self._call(
                    "GET",
                    "packages",
                    sends=None,
                    params={
                        "filter[type]": kind,
                        "limit": PAGE_SIZE,
                        "page": page,
                        "include": "topup",
                    },
                )
                for place in data or []:
                    result += self._packages_of(place)
                if not data or len(data) < PAGE_SIZE:
                    break
                page += 1
        return result

    def _packages_of(self, place: dict[str, Any]) -> list[Package]:
        result = []
        for operator in place.get("operators") or []:
            is_global = operator.get("type") == "global"
            countries = tuple(
                sorted(
                    {str(c["country_code"]).upper() for c in operator.get("countries") or []}
                    or (
                        {str(place["country_code"]).upper()} if place.get("country_code") else set()
                    )
                )
            )
            if not is_global:
                coverage = Coverage.LOCAL
            elif str(place.get("slug", "")).lower() == "world":
                coverage = Coverage.GLOBAL
            else:
                coverage = Coverage.REGIONAL
            networks = tuple(
                sorted(
                    {
                        str(network["name"])
                        for area in operator.get("coverages") or []
                        for network in area.get("networks") or []
                    }
                )
            )
            generation = network_generation(
                str(kind)
                for area in operator.get("coverages") or []
                for network in area.get("networks") or []
                for kind in network.get("types") or []
            )
            fair_use = (
                str(operator.get("fair_usage_policy") or "")
                if operator.get("is_fair_usage_policy")
                else ""
            )
            for raw in operator.get("packages") or []:
                unlimited = bool(raw.get("is_unlimited"))
                result.append(
                    Package(
                        package_id=str(raw["id"]),
                        title=str(raw.get("title", "")),
                        coverage=coverage,
                        countries=countries,
                        data_mb=0 if unlimited else int(raw.get("amount", 0)),
                        validity_days=int(raw.get("day", 0)),
                        wholesale=Money(_decimal(raw["net_price"]), CURRENCY),
                        unlimited=unlimited,
                        fair_use=fair_use if unlimited else "",
                        region=str(place.get("title", "")) if is_global else "",
                        networks=networks,
                        top_up=raw.get("type") == "topup",
                        network_generation=generation,
                    )
                )
        return result

    # -- orders ------------------------------------------------------------

    def order(self, *, package_id: str, transaction_id: str) -> SupplierOrder:
        # Airalo documents no idempotency key: our transaction id goes in the
        # order's description, so a lost answer can be found among our orders.
        body = {
            "package_id": package_id,
            "quantity": 1,
            "type": "sim",
            "description": transaction_id,
        }
        sends = Sent(ORDER, transaction_id=transaction_id)
        if self.webhook_url:
            data = self._call(
                "POST",
                "orders-async",
                sends=sends,
                json={**body, "webhook_url": self.webhook_url},
            )
            return SupplierOrder(
                transaction_id=transaction_id,
                reference=str(data["request_id"]),
                status=OrderStatus.PENDING,
            )
        return order_from_data(
            self._call("POST", "orders", sends=sends, json=body), transaction_id=transaction_id
        )

    def order_status(self, *, reference: str) -> SupplierOrder:
        data = self._call(
            "GET",
            f"orders/{reference}",
            sends=Sent(ORDER, reference=reference),
            params={"include": "sims"},
        )
        return order_from_data(data, transaction_id=str(data.get("description", "")))

    def top_up(self, *, iccid: str, package_id: str, transaction_id: str) -> SupplierOrder:
        data = self._call(
            "POST",
            "orders/topups",
            sends=Sent(TOP_UP, iccid=iccid),
            json={"package_id": package_id, "iccid": iccid, "description": transaction_id},
        )
        return SupplierOrder(
            transaction_id=transaction_id,
            reference=str(data["id"]),
            status=OrderStatus.READY,
            cost=Money(_decimal(data.get("price", 0)), CURRENCY),
        )

    def usage(self, *, iccid: str) -> Usage:
        # Airalo caches usage 20 minutes and limits calls per ICCID: callers poll
        # no more often than ``usage_interval`` (ADR 0024).
        data = self._call("GET", f"sims/{iccid}/usage", sends=Sent(ESIM, iccid=iccid))
        unlimited = bool(data.get("is_unlimited"))
        return Usage(
            iccid=iccid,
            # For unlimited packages remaining and total are 0 and mean nothing.
            total_mb=0 if unlimited else int(data.get("total") or 0),
            remaining_mb=0 if unlimited else int(data.get("remaining") or 0),
            unlimited=unlimited,
        )

    def balance(self) -> Money:
        data = self._call("GET", "balance", sends=None)
        try:
            available = data["balances"]["availableBalance"]
            return Money(_decimal(available["amount"]), str(available.get("currency", CURRENCY)))
        except (KeyError, TypeError) as exc:
            raise SupplierUnavailable(
                gettext("airalo answered balance without an amount"), supplier_code=self.code
            ) from exc

    def find_order(
        self,
        *,
        transaction_id: str,
        package_id: str = "",
        placed_after: datetime | None = None,
        known: frozenset[str] = frozenset(),
    ) -> SupplierOrder | None:
        # Our transaction id is the order's description (Airalo has no idempotency key).
        data = self._call(
            "GET",
            "orders",
            sends=Sent(ORDER, transaction_id=transaction_id),
            params={"filter[description]": transaction_id, "include": "sims", "limit": 10},
        )
        for found in data or []:
            if str(found.get("description", "")) == transaction_id:
                return order_from_data(found, transaction_id=transaction_id)
        return None

    def find_top_up(
        self, *, iccid: str, package_id: str, transaction_id: str, placed_after: datetime
    ) -> SupplierOrder | None:
        # A top-up carries our transaction id as its description, as an order does.
        data = self._call(
            "GET",
            "orders",
            sends=Sent(TOP_UP, iccid=iccid),
            params={"filter[description]": transaction_id, "limit": 10},
        )
        for found in data or []:
            if str(found.get("description", "")) == transaction_id:
                return SupplierOrder(
                    transaction_id=transaction_id,
                    reference=str(found.get("id", "")),
                    status=OrderStatus.READY,
                    cost=Money(_decimal(found.get("price", 0)), CURRENCY),
                )
        return None

    # -- webhooks ----------------------------------------------------------

    def signature_of(self, body: bytes) -> str:
        return hmac.new(self.client_secret.encode(), body, hashlib.sha512).hexdigest()

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = headers.get("airalo-signature", "")
        if not (self.client_secret and signature and self._signed(body, signature)):
            raise InvalidWebhook(gettext("missing or wrong airalo-signature"))
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError) as exc:
            raise InvalidWebhook(
                gettext("malformed airalo notification: %(exc)s") % {"exc": exc}
            ) from exc
        event_id = hashlib.sha256(body).hexdigest()
        try:
            if "level" in payload:  # low data notification
                return WebhookEvent(
                    event_id=event_id,
                    kind="low_data",
                    iccid=str(payload["iccid"]),
                    detail={
                        "level": str(payload["level"]),
                        "remaining_percentage": str(payload.get("remaining_percentage", "")),
                    },
                )
            if "remaining" in payload and "message" in payload:  # credit limit notification
                return WebhookEvent(
                    event_id=event_id,
                    kind="credit",
                    detail={"remaining": str(payload["remaining"])},
                )
            request_id = str(payload["request_id"])
            data = payload["data"]
            order = order_from_data(data, transaction_id=str(data.get("description", "")))
        except (KeyError, TypeError, ValueError, AttributeError, SupplierUnavailable) as exc:
            raise InvalidWebhook(
                gettext("malformed airalo notification: %(exc)s") % {"exc": exc}
            ) from exc
        return WebhookEvent(
            event_id=request_id,
            kind="order",
            reference=request_id,
            order=order,
            iccid=order.install.iccid if order.install else "",
        )

    def _signed(self, body: bytes, signature: str) -> bool:
        # The SDK signs compact JSON with "/" escaped; a raw body is checked as sent.
        candidates = [body]
        try:
            compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
            candidates.append(compact.replace("/", "\\/").encode())
        except ValueError:
            pass
        return any(hmac.compare_digest(self.signature_of(c), signature) for c in candidates)


def _refusal(exc: SupplierRejected) -> SupplierError:
    """Airalo refuses an order it cannot serve with 422 and a message: our
    credit or its stock running out are told apart from other refusals, so
    that the order fails over (ADR 0024)."""
    if exc.detail != "422":
        return exc
    text = exc.message.lower()
    if "credit" in text or "balance" in text:
        return NoCredit(exc.message, supplier_code="airalo", detail="422")
    if "out of stock" in text:
        return OutOfStock(exc.message, supplier_code="airalo", detail="422")
    return exc


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise SupplierUnavailable(
            gettext("airalo sent an unreadable price %(value)r") % {"value": value},
            supplier_code="airalo",
        ) from exc


def order_from_data(data: dict[str, Any], *, transaction_id: str) -> SupplierOrder:
    sims = data.get("sims") or []
    if not sims:
        raise SupplierUnavailable(gettext("airalo order carries no eSIM"), supplier_code="airalo")
    sim = sims[0]
    return SupplierOrder(
        transaction_id=transaction_id,
        reference=str(data.get("id", "")),
        status=OrderStatus.READY,
        install=InstallDetails(
            iccid=str(sim["iccid"]),
            smdp_address=str(sim["lpa"]),
            matching_id=str(sim["matching_id"]),
        ),
        # An order's "price" is what Airalo charges us for it.
        cost=Money(_decimal(data.get("price", 0)), str(data.get("currency", CURRENCY))),
    )

"""eSIM Access (api.esimaccess.com, "open API" v1): the adapter.

Every call is ``POST /api/v1/open/<path>`` with a JSON body and the
``RT-AccessCode`` header; every answer is the envelope
``{"success", "errorCode", "errorMsg", "obj"}`` with HTTP 200 even on failure.
Money is an integer of ten-thousandths (45000 = 4.50); data volumes are bytes.
Ordering is prepaid and asynchronous: ``esim/order`` answers an ``orderNo``;
the profile comes later (``ORDER_STATUS`` webhook with ``GOT_RESOURCE``, or
``esim/query``). Our ``transactionId`` is its idempotency key: a repeat
answers the same order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

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

PRICE_SCALE = Decimal(10_000)
MB = 1024 * 1024
# Error codes as eSIM Access documents and clients map them.
ERRORS: dict[str, type[SupplierError]] = {
    "000001": SupplierUnavailable,  # server error
    "200007": NoCredit,  # insufficient balance
    "200011": OutOfStock,  # insufficient available profiles for the package
    "310241": SupplierNotFound,  # packageCode does not exist
    "310243": SupplierNotFound,
}
NOT_ALLOCATED_YET = "200010"  # the order's profile is still being allocated
# locationCode of packages covering more than one country.
GLOBAL_LOCATION = "!GL"
REGIONAL_LOCATION = "!RG"


def price_from_units(value: int) -> Decimal:
    return Decimal(value) / PRICE_SCALE


def price_to_units(value: Decimal) -> int:
    return int((value * PRICE_SCALE).to_integral_value())


class EsimAccess(Supplier):
    code = "esimaccess"
    capabilities = frozenset(
        {
            Capability.TOP_UP,
            Capability.USAGE,
            Capability.SUSPEND,
            Capability.TERMINATE,
            Capability.CANCEL,
            Capability.BALANCE,
            Capability.IDEMPOTENT_ORDER,
        }
    )

    def __init__(
        self, *, base_url: str, access_code: str, webhook_token: str, http: SupplierHttp
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_code = access_code
        self.webhook_token = webhook_token
        self.http = http

    @classmethod
    def from_settings(cls) -> EsimAccess:
        return cls(
            base_url=settings.ESIMACCESS_API_BASE,
            access_code=settings.ESIMACCESS_ACCESS_CODE,
            webhook_token=settings.ESIMACCESS_WEBHOOK_TOKEN,
            http=SupplierHttp.configured(supplier_code=cls.code, send=core_http.send),
        )

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.ESIMACCESS_ACCESS_CODE)

    # -- transport ---------------------------------------------------------

    def _call(self, path: str, body: dict[str, Any], *, sends: Sent | None) -> Any:
        response = self.http.request(
            "POST",
            f"{self.base_url}/api/v1/open/{path}",
            sends=sends,
            json=body,
            headers={"RT-AccessCode": self.access_code},
        )
        try:
            envelope = response.json()
            success = envelope["success"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SupplierUnavailable(
                gettext("esimaccess answered %(path)s with no envelope (HTTP %(status_code)s)")
                % {"path": path, "status_code": response.status_code},
                supplier_code=self.code,
            ) from exc
        if success:
            return envelope.get("obj") or {}
        error_code = str(envelope.get("errorCode") or "")
        message = str(envelope.get("errorMsg") or "unknown error")
        logger.warning("esimaccess %s refused: %s %s", path, error_code, message)
        error = ERRORS.get(error_code, SupplierRejected)
        raise error(f"esimaccess: {message}", supplier_code=self.code, detail=error_code)

    # -- catalogue ---------------------------------------------------------

    def packages(self) -> list[Package]:
        result: list[Package] = []
        for kind in ("BASE", "TOPUP"):
            obj = self._call("package/list", {"locationCode": "", "type": kind}, sends=None)
            result += [
                self._package(raw, top_up=kind == "TOPUP") for raw in obj.get("packageList", [])
            ]
        return result

    def _package(self, raw: dict[str, Any], *, top_up: bool) -> Package:
        location = str(raw.get("locationCode") or "")
        countries = tuple(
            sorted(c.strip().upper() for c in str(raw.get("location", "")).split(",") if c.strip())
        )
        if location == GLOBAL_LOCATION:
            coverage = Coverage.GLOBAL
        elif location == REGIONAL_LOCATION or len(countries) > 1:
            coverage = Coverage.REGIONAL
        else:
            coverage = Coverage.LOCAL
        networks = tuple(
            sorted(
                {
                    str(operator["operatorName"])
                    for place in raw.get("locationNetworkList") or []
                    for operator in place.get("operatorList") or []
                }
            )
        )
        generation = network_generation(
            str(operator.get("networkType") or "")
            for place in raw.get("locationNetworkList") or []
            for operator in place.get("operatorList") or []
        )
        fair_use = str(raw.get("fupPolicy") or "")
        unlimited = bool(fair_use)
        return Package(
            package_id=str(raw["packageCode"]),
            title=str(raw.get("name", "")),
            coverage=coverage,
            countries=countries,
            data_mb=0 if unlimited else int(raw.get("volume", 0)) // MB,
            validity_days=int(raw.get("duration", 0)),
            wholesale=Money(
                price_from_units(int(raw["price"])), str(raw.get("currencyCode", "USD"))
            ),
            unlimited=unlimited,
            fair_use=fair_use,
            region=str(raw.get("slug", "")) if coverage != Coverage.LOCAL else "",
            networks=networks,
            top_up=top_up,
            network_generation=generation,
        )

    # -- orders ------------------------------------------------------------

    def _price_of(self, package_id: str, kind: str = "BASE") -> int:
        obj = self._call("package/list", {"packageCode": package_id, "type": kind}, sends=None)
        found = obj.get("packageList") or []
        if not found:
            raise SupplierNotFound(
                gettext("esimaccess has no package %(package_id)s") % {"package_id": package_id},
                supplier_code=self.code,
            )
        return int(found[0]["price"])

    def order(self, *, package_id: str, transaction_id: str) -> SupplierOrder:
        # The order states its total; eSIM Access refuses one that does not match
        # its current price (200005/200006), so a price change cannot go unnoticed.
        price = self._price_of(package_id)
        obj = self._call(
            "esim/order",
            {
                "transactionId": transaction_id,
                "amount": price,
                "packageInfoList": [{"packageCode": package_id, "count": 1, "price": price}],
            },
            sends=Sent(ORDER, transaction_id=transaction_id),
        )
        reference = str(obj["orderNo"])
        return SupplierOrder(
            transaction_id=transaction_id,
            reference=reference,
            status=OrderStatus.PENDING,
            cost=Money(price_from_units(price), "USD"),
        )

    def _esim(self, body: dict[str, Any], *, sends: Sent) -> dict[str, Any] | None:
        obj = self._call(
            "esim/query", {**body, "pager": {"pageNum": 1, "pageSize": 20}}, sends=sends
        )
        found = obj.get("esimList") or []
        return found[0] if found else None

    def order_status(self, *, reference: str) -> SupplierOrder:
        try:
            esim = self._esim({"orderNo": reference}, sends=Sent(ORDER, reference=reference))
        except SupplierRejected as exc:
            if exc.detail != NOT_ALLOCATED_YET:
                raise
            esim = None
        if esim is None:
            return SupplierOrder(transaction_id="", reference=reference, status=OrderStatus.PENDING)
        return SupplierOrder(
            transaction_id=str(esim.get("transactionId", "")),
            reference=reference,
            status=OrderStatus.READY,
            install=install_from_activation_code(str(esim["iccid"]), str(esim["ac"])),
        )

    def top_up(self, *, iccid: str, package_id: str, transaction_id: str) -> SupplierOrder:
        price = self._price_of(package_id, "TOPUP")
        obj = self._call(
            "esim/topup",
            {
                "iccid": iccid,
                "packageCode": package_id,
                "transactionId": transaction_id,
                "amount": price,
            },
            sends=Sent(TOP_UP, iccid=iccid),
        )
        return SupplierOrder(
            transaction_id=transaction_id,
            reference=str(obj.get("transactionId", transaction_id)),
            status=OrderStatus.READY,
            cost=Money(price_from_units(price), "USD"),
        )

    def usage(self, *, iccid: str) -> Usage:
        esim = self._esim({"iccid": iccid}, sends=Sent(ESIM, iccid=iccid))
        if esim is None:
            raise SupplierNotFound(
                gettext("esimaccess has no eSIM %(iccid)s") % {"iccid": iccid},
                supplier_code=self.code,
            )
        return usage_from_volumes(
            iccid, total=int(esim.get("totalVolume", 0)), used=int(esim.get("orderUsage", 0))
        )

    def _tran_no(self, iccid: str) -> str:
        esim = self._esim({"iccid": iccid}, sends=Sent(ESIM, iccid=iccid))
        if esim is None:
            raise SupplierNotFound(
                gettext("esimaccess has no eSIM %(iccid)s") % {"iccid": iccid},
                supplier_code=self.code,
            )
        return str(esim["esimTranNo"])

    def suspend(self, *, iccid: str) -> None:
        self._call(
            "esim/suspend", {"esimTranNo": self._tran_no(iccid)}, sends=Sent(ESIM, iccid=iccid)
        )

    def resume(self, *, iccid: str) -> None:
        self._call(
            "esim/unsuspend", {"esimTranNo": self._tran_no(iccid)}, sends=Sent(ESIM, iccid=iccid)
        )

    def terminate(self, *, iccid: str) -> None:
        self._call(
            "esim/revoke", {"esimTranNo": self._tran_no(iccid)}, sends=Sent(ESIM, iccid=iccid)
        )

    def cancel(self, *, reference: str) -> None:
        sends = Sent(ESIM, reference=reference)
        esim = self._esim({"orderNo": reference}, sends=sends)
        if esim is None:
            raise SupplierNotFound(
                gettext("esimaccess has no profile for %(reference)s") % {"reference": reference},
                supplier_code=self.code,
            )
        self._call("esim/cancel", {"esimTranNo": str(esim["esimTranNo"])}, sends=sends)

    def balance(self) -> Money:
        obj = self._call("balance/query", {}, sends=None)
        return Money(price_from_units(int(obj["balance"])), "USD")

    # -- webhooks ----------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        # eSIM Access does not sign its notifications: the URL we register
        # carries a secret token, checked by the view before this runs.
        try:
            payload = json.loads(body)
            kind = str(payload["notifyType"])
            content = payload["content"]
            if not isinstance(content, dict):
                raise TypeError("content is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(
                gettext("malformed esimaccess notification: %(exc)s") % {"exc": exc}
            ) from exc
        # No event id is sent: the body itself identifies the event.
        event_id = hashlib.sha256(body).hexdigest()
        reference = str(content.get("orderNo", ""))
        order = None
        if kind == "ORDER_STATUS" and content.get("orderStatus") == "GOT_RESOURCE":
            order = SupplierOrder(
                transaction_id=str(content.get("transactionId", "")),
                reference=reference,
                status=OrderStatus.PENDING,  # ready to query: the notice carries no profile
            )
        iccid = str(content.get("iccid", ""))
        usage = None
        if kind == "DATA_USAGE":
            # Bytes: the eSIM's whole allowance and what it used of it.
            try:
                total, used = int(content["totalVolume"]), int(content["orderUsage"])
                if total < 0 or used < 0 or not iccid:
                    raise ValueError("negative volume or no iccid")
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidWebhook(
                    gettext("malformed esimaccess usage notification: %(exc)s") % {"exc": exc}
                ) from exc
            usage = usage_from_volumes(iccid, total=total, used=used)
        return WebhookEvent(
            event_id=event_id,
            kind=kind,
            reference=reference,
            order=order,
            iccid=iccid,
            usage=usage,
            detail={
                k: str(v)
                for k, v in content.items()
                if k in {"esimStatus", "smdpStatus", "orderStatus", "expiredTime", "remain"}
            },
        )

    def webhook_token_matches(self, token: str) -> bool:
        return bool(self.webhook_token) and hmac.compare_digest(token, self.webhook_token)


def usage_from_volumes(iccid: str, *, total: int, used: int) -> Usage:
    """Usage in our units from eSIM Access's bytes (``totalVolume``, ``orderUsage``)."""
    return Usage(iccid=iccid, total_mb=total // MB, remaining_mb=max(0, total - used) // MB)


def install_from_activation_code(iccid: str, activation_code: str) -> InstallDetails:
    """SGP.22 4.1: ``LPA:1$<SM-DP+ address>$<matching ID>``."""
    parts = activation_code.split("$")
    if len(parts) < 3 or parts[0] != "LPA:1":
        raise SupplierUnavailable(
            gettext("unreadable activation code for %(iccid)s") % {"iccid": iccid},
            supplier_code="esimaccess",
        )
    return InstallDetails(iccid=iccid, smdp_address=parts[1], matching_id=parts[2])

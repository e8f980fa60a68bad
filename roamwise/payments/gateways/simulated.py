"""Adapter for the simulated hosted gateway (``roamwise.gateway``), over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext

from roamwise.core.http import TransportError, request_json
from roamwise.core.money import Money
from roamwise.core.parsing import (
    identifier,
    json_loads,
    money_amount,
    optional_identifier,
    optional_uuid,
    storable_text,
)
from roamwise.core.signing import SignatureError, signature_verify

from ..errors import GatewayRefused, GatewayUnavailable, InvalidSignature, MalformedEvent
from ..privacy import SIMULATED_SENDS
from .base import CardDetails, CheckoutStart, EventKind, GatewayEvent, RefundResult

if TYPE_CHECKING:
    from roamwise.orders.models import Order
    from roamwise.payments.models import Payment

KINDS: dict[str, EventKind] = {
    "payment.succeeded": "payment_succeeded",
    "payment.failed": "payment_failed",
    "payment.processing": "payment_processing",
    "refund.succeeded": "refund_succeeded",
    "dispute.created": "dispute_opened",
}


def verify_signature(body: bytes, header: str, secret: str, tolerance: int) -> None:
    try:
        signature_verify(body, header, secret, tolerance)
    except SignatureError as exc:
        raise InvalidSignature(gettext("Webhook refused: %(exc)s") % {"exc": exc}) from None


class SimulatedGateway:
    name = "simulated"
    categories_sent: tuple[str, ...] = SIMULATED_SENDS.categories

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            body = request_json(
                method,
                f"{settings.GATEWAY_URL}{path}",
                json=payload,
                headers={"Authorization": f"Bearer {settings.GATEWAY_SECRET_KEY}"},
            )
        except TransportError as exc:
            if exc.permanent:
                raise GatewayRefused(
                    gettext("The payment processor refused: %(exc)s") % {"exc": exc}
                ) from exc
            raise GatewayUnavailable(
                gettext("The payment processor is unavailable; try again.")
            ) from exc
        if not isinstance(body, dict):
            # Garbage in a 2xx: it may have acted, as after a timeout.
            raise GatewayUnavailable(
                gettext("The payment processor answered something unreadable.")
            )
        return body

    @staticmethod
    def _field(body: dict[str, Any], name: str, max_length: int = 500) -> str:
        try:
            return identifier(body.get(name), max_length=max_length, name=name)
        except ValueError:
            raise GatewayUnavailable(
                gettext("The payment processor answered without a valid %(name)s.") % {"name": name}
            ) from None

    def start_checkout(
        self, *, order: Order, success_url: str, cancel_url: str, webhook_url: str
    ) -> CheckoutStart:
        body = self._call(
            "POST",
            "/v1/sessions",
            {
                # A decimal string at the currency's own precision: "675" yen, "4.50" dollars.
                "amount": str(Money(order.total, order.currency).quantized()),
                "currency": order.currency,
                "description": order.plan.name,
                "merchant_reference": str(order.public_id),
                "success_url": success_url,
                "cancel_url": cancel_url,
                "webhook_url": webhook_url,
            },
        )
        return CheckoutStart(
            processor_ref=self._field(body, "id", 100), redirect_url=self._field(body, "url")
        )

    def refund(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult:
        body = self._call(
            "POST",
            "/v1/refunds",
            {
                "session": payment.processor_ref,
                "amount": str(Money(amount, payment.currency).quantized()),
                "reference": reference,
            },
        )
        return RefundResult(
            processor_ref=self._field(body, "id", 100), succeeded=body.get("status") == "succeeded"
        )

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        verify_signature(
            body,
            headers.get("Gateway-Signature", ""),
            settings.GATEWAY_WEBHOOK_SECRET,
            settings.GATEWAY_WEBHOOK_TOLERANCE,
        )
        try:
            event = json_loads(body)
            data = event["data"]
            refund = data.get("refund") or {}
            amount = refund.get("amount")
            reference = optional_uuid(refund.get("reference"))
            return GatewayEvent(
                event_id=identifier(event["id"], max_length=100, name="id"),
                event_type=identifier(event["type"], max_length=60, name="type"),
                kind=KINDS.get(event["type"], "ignored"),
                processor_ref=identifier(data["session"], max_length=100, name="session"),
                card=CardDetails.from_processor(data.get("card")),
                failure_code=storable_text(data.get("failure_code"), max_length=40),
                refund_ref=optional_identifier(refund.get("id"), max_length=100, name="refund"),
                refund_reference=str(reference) if reference else "",
                refund_amount=money_amount(amount) if amount not in (None, "") else None,
                # The processor refunds in the payment's currency; it says so on the event.
                refund_currency=storable_text(
                    refund.get("currency") or data.get("currency"), max_length=3
                ).upper(),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedEvent(
                (gettext("The webhook body is not a valid event: %(exc)s") % {"exc": exc})[:200]
            ) from exc

    def fetch_outcome(self, *, payment: Payment) -> GatewayEvent | None:
        body = self._call("GET", f"/v1/sessions/{payment.processor_ref}")
        if body.get("status") != "succeeded":
            return None
        return GatewayEvent(
            event_id=f"reconcile-{payment.processor_ref}",
            event_type="session.retrieved",
            kind="payment_succeeded",
            processor_ref=payment.processor_ref,
            card=CardDetails.from_processor(body.get("card")),
        )

"""Adapter for the simulated hosted gateway (``roamwise.gateway``), over HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings

from roamwise.core.http import TransportError, request_json
from roamwise.core.signing import SignatureError, signature_verify

from ..errors import GatewayRefused, GatewayUnavailable, InvalidSignature, MalformedEvent
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
        raise InvalidSignature(f"Webhook refused: {exc}") from None


class SimulatedGateway:
    name = "simulated"
    categories_sent: tuple[str, ...] = ("user.behavior.purchase_history",)

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        try:
            return request_json(
                method,
                f"{settings.GATEWAY_URL}{path}",
                json=payload,
                headers={"Authorization": f"Bearer {settings.GATEWAY_SECRET_KEY}"},
            )
        except TransportError as exc:
            if exc.permanent:
                raise GatewayRefused(f"The payment processor refused: {exc}") from exc
            raise GatewayUnavailable("The payment processor is unavailable; try again.") from exc

    def start_checkout(
        self, *, order: Order, success_url: str, cancel_url: str, webhook_url: str
    ) -> CheckoutStart:
        body = self._call(
            "POST",
            "/v1/sessions",
            {
                "amount": str(order.total),
                "currency": order.currency,
                "description": order.plan.name,
                "merchant_reference": str(order.public_id),
                "success_url": success_url,
                "cancel_url": cancel_url,
                "webhook_url": webhook_url,
            },
        )
        return CheckoutStart(processor_ref=body["id"], redirect_url=body["url"])

    def refund(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult:
        body = self._call(
            "POST",
            "/v1/refunds",
            {"session": payment.processor_ref, "amount": str(amount), "reference": reference},
        )
        return RefundResult(processor_ref=body["id"], succeeded=body["status"] == "succeeded")

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        verify_signature(
            body,
            headers.get("Gateway-Signature", ""),
            settings.GATEWAY_WEBHOOK_SECRET,
            settings.GATEWAY_WEBHOOK_TOLERANCE,
        )
        try:
            event = json.loads(body)
            data = event["data"]
            card = data.get("card") or {}
            refund = data.get("refund") or {}
            return GatewayEvent(
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                kind=KINDS.get(event["type"], "ignored"),
                processor_ref=str(data["session"]),
                card=CardDetails(
                    brand=str(card.get("brand") or ""),
                    last4=str(card.get("last4") or "")[-4:],
                    exp_month=card.get("exp_month"),
                    exp_year=card.get("exp_year"),
                ),
                failure_code=str(data.get("failure_code") or ""),
                refund_ref=str(refund.get("id") or ""),
                refund_reference=str(refund.get("reference") or ""),
                refund_amount=Decimal(refund["amount"]) if refund.get("amount") else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise MalformedEvent("The webhook body is not a valid event.") from exc

    def fetch_outcome(self, *, payment: Payment) -> GatewayEvent | None:
        body = self._call("GET", f"/v1/sessions/{payment.processor_ref}")
        if body.get("status") != "succeeded":
            return None
        card = body.get("card") or {}
        return GatewayEvent(
            event_id=f"reconcile-{payment.processor_ref}",
            event_type="session.retrieved",
            kind="payment_succeeded",
            processor_ref=payment.processor_ref,
            card=CardDetails(
                brand=str(card.get("brand") or ""),
                last4=str(card.get("last4") or "")[-4:],
                exp_month=card.get("exp_month"),
                exp_year=card.get("exp_year"),
            ),
        )

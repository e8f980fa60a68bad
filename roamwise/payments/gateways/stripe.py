"""Stripe adapter: Checkout Session, signed webhooks, refunds (official SDK).

The API address is a setting (``STRIPE_API_BASE``), so tests run it against
a local server that answers as Stripe does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from roamwise.core.money import minor_units

from ..errors import GatewayRefused, GatewayUnavailable, InvalidSignature, MalformedEvent
from .base import CardDetails, CheckoutStart, EventKind, GatewayEvent, RefundResult

if TYPE_CHECKING:
    from roamwise.orders.models import Order
    from roamwise.payments.models import Payment

KINDS: dict[str, EventKind] = {
    "checkout.session.completed": "payment_succeeded",
    "checkout.session.async_payment_succeeded": "payment_succeeded",
    "checkout.session.async_payment_failed": "payment_failed",
    "checkout.session.expired": "payment_failed",
    "refund.updated": "refund_succeeded",
    "refund.created": "refund_succeeded",
    "charge.dispute.created": "dispute_opened",
}


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount * (10 ** minor_units(currency))).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount) / (10 ** minor_units(currency))


class StripeGateway:
    name = "stripe"
    categories_sent: tuple[str, ...] = ("user.behavior.purchase_history", "user.contact.email")

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            settings.STRIPE_API_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=settings.HTTP_TIMEOUT_SECONDS),
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable("Stripe is unavailable; try again.") from exc
        except stripe.StripeError as exc:
            if exc.http_status and exc.http_status >= 500:
                raise GatewayUnavailable("Stripe is unavailable; try again.") from exc
            raise GatewayRefused(f"Stripe refused: {exc.user_message or exc}") from exc

    def start_checkout(
        self, *, order: Order, success_url: str, cancel_url: str, webhook_url: str
    ) -> CheckoutStart:
        # webhook_url is configured in Stripe's dashboard, not per session.
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params={
                "mode": "payment",
                "client_reference_id": str(order.public_id),
                "customer_email": order.customer.email,
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": {"order": str(order.public_id)},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": order.currency.lower(),
                            "unit_amount": to_minor(order.total, order.currency),
                            "product_data": {"name": order.plan.name},
                        },
                    }
                ],
            },
            options={"idempotency_key": f"checkout-{order.public_id}-{order.payments.count()}"},
        )
        return CheckoutStart(processor_ref=session.id, redirect_url=session.url)

    def refund(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult:
        refund = self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": payment.payment_ref,
                "amount": to_minor(amount, payment.currency),
                "metadata": {"refund": reference},
            },
            options={"idempotency_key": f"refund-{reference}"},
        )
        return RefundResult(processor_ref=refund.id, succeeded=refund.status == "succeeded")

    def _card_of(self, payment_intent_id: str) -> CardDetails | None:
        intent = self._call(
            self.client.v1.payment_intents.retrieve,
            payment_intent_id,
            params={"expand": ["latest_charge"]},
        ).to_dict()
        charge = intent.get("latest_charge")
        card = (
            charge.get("payment_method_details", {}).get("card")
            if isinstance(charge, dict)
            else None
        )
        if not card:
            return None
        return CardDetails(
            brand=card.get("brand", ""),
            last4=card.get("last4", ""),
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
        )

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        try:
            stripe.Webhook.construct_event(
                body, headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
            )
            # Verified: read it as plain JSON.
            event = json.loads(body)
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature("The Stripe signature does not match.") from exc
        except ValueError as exc:
            raise MalformedEvent("The webhook body is not a valid event.") from exc
        try:
            obj = event["data"]["object"]
            kind = KINDS.get(event["type"], "ignored")
            if (
                event["type"] == "checkout.session.completed"
                and obj.get("payment_status") != "paid"
            ):
                kind = "payment_processing"  # async methods complete later
            if kind in ("payment_succeeded", "payment_failed", "payment_processing"):
                intent = obj.get("payment_intent") or ""
                card = self._card_of(intent) if kind == "payment_succeeded" and intent else None
                return GatewayEvent(
                    event_id=event["id"],
                    event_type=event["type"],
                    kind=kind,
                    processor_ref=obj["id"],
                    payment_ref=intent,
                    card=card,
                    failure_code="expired" if event["type"].endswith("expired") else "",
                )
            if kind == "refund_succeeded":
                return GatewayEvent(
                    event_id=event["id"],
                    event_type=event["type"],
                    kind=kind if obj.get("status") == "succeeded" else "ignored",
                    payment_ref=obj.get("payment_intent") or "",
                    refund_ref=obj["id"],
                    refund_reference=(obj.get("metadata") or {}).get("refund", ""),
                    refund_amount=from_minor(obj["amount"], obj["currency"].upper()),
                )
            if kind == "dispute_opened":
                return GatewayEvent(
                    event_id=event["id"],
                    event_type=event["type"],
                    kind=kind,
                    payment_ref=obj.get("payment_intent") or "",
                )
            return GatewayEvent(event_id=event["id"], event_type=event["type"], kind="ignored")
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedEvent("The webhook body is not a valid event.") from exc

    def fetch_outcome(self, *, payment: Payment) -> GatewayEvent | None:
        session = self._call(
            self.client.v1.checkout.sessions.retrieve, payment.processor_ref
        ).to_dict()
        if session.get("status") == "expired":
            return GatewayEvent(
                event_id=f"reconcile-{session['id']}",
                event_type="session.expired",
                kind="payment_failed",
                processor_ref=session["id"],
                failure_code="expired",
            )
        if session.get("payment_status") != "paid":
            return None
        intent = session.get("payment_intent") or ""
        return GatewayEvent(
            event_id=f"reconcile-{session['id']}",
            event_type="session.retrieved",
            kind="payment_succeeded",
            processor_ref=session["id"],
            payment_ref=intent,
            card=self._card_of(intent) if intent else None,
        )

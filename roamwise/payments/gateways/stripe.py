"""Stripe adapter: Checkout Session, signed webhooks, refunds (official SDK).

The API address is a setting (``STRIPE_API_BASE``), so tests run it against
a local server that answers as Stripe does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils.translation import gettext

from roamwise.core.money import from_minor_units, quantum, to_minor_units
from roamwise.core.parsing import (
    identifier,
    json_loads,
    optional_identifier,
    optional_uuid,
    storable_text,
)

from ..errors import GatewayRefused, GatewayUnavailable, InvalidSignature, MalformedEvent
from ..privacy import STRIPE_SENDS
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


# Stripe's own list of zero-decimal currencies (docs.stripe.com/currencies,
# "Zero-decimal currencies"): amounts are whole units, 675 for 675 JPY. It is
# not ISO 4217's (Stripe counts ISK, HUF, TWD and UGX in hundredths), so the
# adapter uses it rather than the currency's ISO precision.
STRIPE_ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
# Three-decimal currencies: amounts in thousandths (docs.stripe.com/currencies).
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    return 3 if code in STRIPE_THREE_DECIMAL else 2


def to_minor(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: 450 for 4.50 USD, 675 for 675 JPY. An amount
    finer than the currency allows is refused (ISO precision first: 675.50 JPY
    is not a price), never rounded to something else than was shown."""
    if amount != amount.quantize(quantum(currency)):
        raise ValueError(f"{amount} {currency} is finer than the currency's smallest unit")
    return to_minor_units(amount, currency, exponent=stripe_exponent(currency))


def from_minor(amount: int, currency: str) -> Decimal:
    return from_minor_units(amount, currency, exponent=stripe_exponent(currency))


def _minor_amount(value: object) -> int:
    """Stripe's amounts are whole minor units; anything else is not an amount."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**10:
        raise ValueError("amount must be a whole number of minor units")
    return value


class StripeGateway:
    name = "stripe"
    categories_sent: tuple[str, ...] = STRIPE_SENDS.categories

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
            raise GatewayUnavailable(gettext("Stripe is unavailable; try again.")) from exc
        except stripe.StripeError as exc:
            if exc.http_status and exc.http_status >= 500:
                raise GatewayUnavailable(gettext("Stripe is unavailable; try again.")) from exc
            raise GatewayRefused(
                gettext("Stripe refused: %(user_message_or_exc)s")
                % {"user_message_or_exc": exc.user_message or exc}
            ) from exc

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
        """The card shown on the receipt, from the payment's intent. The payment
        stands without it: an intent Stripe does not know gives no card."""
        try:
            intent = self._call(
                self.client.v1.payment_intents.retrieve,
                payment_intent_id,
                params={"expand": ["latest_charge"]},
            ).to_dict()
        except GatewayRefused:
            return None
        charge = intent.get("latest_charge")
        details = charge.get("payment_method_details") if isinstance(charge, dict) else None
        card = details.get("card") if isinstance(details, dict) else None
        return CardDetails.from_processor(card) if card else None

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        try:
            stripe.WebhookSignature.verify_header(
                body,
                headers.get("Stripe-Signature", ""),
                settings.STRIPE_WEBHOOK_SECRET,
                stripe.Webhook.DEFAULT_TOLERANCE,
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(gettext("The Stripe signature does not match.")) from exc
        except ValueError as exc:  # not UTF-8
            raise MalformedEvent(gettext("The webhook body is not a valid event.")) from exc
        try:
            # Verified: read it as plain JSON.
            event = json_loads(body)
            obj = event["data"]["object"]
            event_id = identifier(event["id"], max_length=100, name="id")
            event_type = identifier(event["type"], max_length=60, name="type")
            kind = KINDS.get(event_type, "ignored")
            if event_type == "checkout.session.completed" and obj.get("payment_status") != "paid":
                kind = "payment_processing"  # async methods complete later
            if kind in ("payment_succeeded", "payment_failed", "payment_processing"):
                intent = optional_identifier(
                    obj.get("payment_intent"), max_length=100, name="payment_intent"
                )
                return GatewayEvent(
                    event_id=event_id,
                    event_type=event_type,
                    kind=kind,
                    processor_ref=identifier(obj["id"], max_length=100, name="session"),
                    payment_ref=intent,
                    card=self._card_of(intent) if kind == "payment_succeeded" and intent else None,
                    failure_code="expired" if event_type.endswith("expired") else "",
                )
            if kind == "refund_succeeded":
                reference = optional_uuid((obj.get("metadata") or {}).get("refund"))
                currency = storable_text(obj.get("currency"), max_length=3).upper()
                return GatewayEvent(
                    event_id=event_id,
                    event_type=event_type,
                    kind=kind if obj.get("status") == "succeeded" else "ignored",
                    payment_ref=optional_identifier(
                        obj.get("payment_intent"), max_length=100, name="payment_intent"
                    ),
                    refund_ref=identifier(obj["id"], max_length=100, name="refund"),
                    refund_reference=str(reference) if reference else "",
                    refund_amount=from_minor(_minor_amount(obj["amount"]), currency),
                    refund_currency=currency,
                )
            if kind == "dispute_opened":
                return GatewayEvent(
                    event_id=event_id,
                    event_type=event_type,
                    kind=kind,
                    payment_ref=optional_identifier(
                        obj.get("payment_intent"), max_length=100, name="payment_intent"
                    ),
                )
            return GatewayEvent(event_id=event_id, event_type=event_type, kind="ignored")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedEvent(
                (gettext("The webhook body is not a valid event: %(exc)s") % {"exc": exc})[:200]
            ) from exc

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

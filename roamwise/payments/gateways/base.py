"""The narrow interface every payment processor adapter implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from roamwise.core.parsing import storable_text

if TYPE_CHECKING:
    from roamwise.orders.models import Order
    from roamwise.payments.models import Payment

EventKind = Literal[
    "payment_succeeded",
    "payment_failed",
    "payment_processing",
    "refund_succeeded",
    "dispute_opened",
    "ignored",
]


@dataclass(frozen=True)
class CheckoutStart:
    processor_ref: str
    redirect_url: str


@dataclass(frozen=True)
class CardDetails:
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None

    @classmethod
    def from_processor(cls, card: object) -> CardDetails:
        """What a receipt may show of the card, from whatever the processor sent.

        Odd values are dropped, not refused: the payment happened, and refusing
        the event would only make the processor send the same body again.
        """
        fields = card if isinstance(card, Mapping) else {}
        last4 = fields.get("last4")
        month, year = fields.get("exp_month"), fields.get("exp_year")
        return cls(
            brand=storable_text(fields.get("brand"), max_length=20),
            last4=last4 if isinstance(last4, str) and _is_digits(last4, 4) else "",
            exp_month=month if _is_int(month) and 1 <= month <= 12 else None,  # type: ignore[operator]
            exp_year=year if _is_int(year) and 2000 <= year <= 2200 else None,  # type: ignore[operator]
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


@dataclass(frozen=True)
class GatewayEvent:
    event_id: str
    event_type: str  # the processor's own name for it
    kind: EventKind
    processor_ref: str = ""  # checkout session
    payment_ref: str = ""  # payment intent, where the processor has one
    card: CardDetails | None = None
    failure_code: str = ""
    refund_ref: str = ""
    refund_reference: str = ""  # our Refund.public_id, echoed back
    refund_amount: Decimal | None = None
    refund_currency: str = ""  # ISO 4217, upper case; empty when the processor left it out


@dataclass(frozen=True)
class RefundResult:
    processor_ref: str
    succeeded: bool


class PaymentGateway(Protocol):
    name: str
    # Data-map categories each call sends (for the disclosure log).
    categories_sent: tuple[str, ...]

    def start_checkout(
        self, *, order: Order, success_url: str, cancel_url: str, webhook_url: str
    ) -> CheckoutStart: ...

    def refund(self, *, payment: Payment, amount: Decimal, reference: str) -> RefundResult: ...

    def parse_event(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayEvent: ...

    def fetch_outcome(self, *, payment: Payment) -> GatewayEvent | None:
        """Ask the processor how a checkout ended (for webhooks that never came)."""
        ...

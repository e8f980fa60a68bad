"""The narrow interface every payment processor adapter implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

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

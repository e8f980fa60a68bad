from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core.models import TimeStampedModel, TransitionEvent
from roamwise.core.money import Money
from roamwise.vault.fields import EncryptedJSONField, EncryptedTextField

if TYPE_CHECKING:
    from roamwise.promotions.models import Promotion


class OrderStatus(models.TextChoices):
    CREATED = "created", gettext_lazy("Created")
    AWAITING_PAYMENT = "awaiting_payment", gettext_lazy("Awaiting payment")
    PAID = "paid", gettext_lazy("Paid")
    FULFILLED = "fulfilled", gettext_lazy("Fulfilled")
    FAILED = "failed", gettext_lazy("Failed")
    REFUNDED = "refunded", gettext_lazy("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", gettext_lazy("Partially refunded")
    DISPUTED = "disputed", gettext_lazy("Disputed")
    EXPIRED = "expired", gettext_lazy("Expired")


# Every allowed move of an order, and nothing else (STYLE 5).
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.CREATED: {OrderStatus.AWAITING_PAYMENT, OrderStatus.FAILED, OrderStatus.EXPIRED},
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED},
    OrderStatus.PAID: {
        OrderStatus.FULFILLED,
        OrderStatus.FAILED,
        OrderStatus.REFUNDED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.DISPUTED,
    },
    OrderStatus.FULFILLED: {
        OrderStatus.REFUNDED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.DISPUTED,
    },
    OrderStatus.FAILED: {
        OrderStatus.REFUNDED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.DISPUTED,
    },
    OrderStatus.PARTIALLY_REFUNDED: {
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
        OrderStatus.DISPUTED,
    },
    OrderStatus.REFUNDED: {OrderStatus.DISPUTED},
    OrderStatus.DISPUTED: {OrderStatus.REFUNDED, OrderStatus.FULFILLED, OrderStatus.PAID},
    # An abandoned checkout; a payment that still arrives late is taken.
    OrderStatus.EXPIRED: {OrderStatus.PAID},
}

# The status rules pages and services ask about, read through the properties
# of Order (``can_pay``, ``is_paid``, ``can_ask_refund``, ``can_be_refunded``).
PAYABLE_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT})
# The money arrived and none of it went back.
PAID_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED})
# What staff (or a failed provisioning) may refund through the processor.
REFUNDABLE_STATUSES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.FULFILLED,
        OrderStatus.FAILED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)


class Order(TimeStampedModel):
    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "status"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = ALLOWED_TRANSITIONS

    class Kind(models.TextChoices):
        ESIM = "esim", gettext_lazy("New eSIM")
        TOPUP = "topup", gettext_lazy("Top-up")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    plan = models.ForeignKey("catalog.Plan", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ESIM)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.CREATED
    )
    currency = models.CharField(max_length=3)
    net_amount = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # A promotion (ADR 0031): the price before it and what it took off, both
    # VAT included; ``total`` is what was charged, the price less the discount.
    price_before_discount = models.DecimalField(max_digits=10, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    promotion_use = models.OneToOneField(
        "promotions.PromotionUse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
    )
    billing_name = EncryptedTextField(subject="customer", row_key="public_id")
    billing_address = EncryptedJSONField(subject="customer", row_key="public_id")
    billing_country = models.CharField(max_length=2, help_text="Decides the VAT rate.")
    contact_phone = EncryptedTextField(subject="customer", row_key="public_id")
    idempotency_key = models.CharField(max_length=64, blank=True)
    legal_hold = models.BooleanField(
        default=False, help_text="Set by a dispute: retention must not delete these records."
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(
        max_length=32, blank=True, help_text="The terms of sale the customer accepted at checkout."
    )
    withdrawal_waived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the customer consented to immediate supply and acknowledged losing "
        "the right of withdrawal.",
    )
    # What the order cost us, at the time of sale (ADR 0025): the supplier of
    # its eSIM ("es2plus" over ES2+), its wholesale cost in the supplier's
    # currency, and the margin (the price before VAT less the cost) in the
    # order's currency, only when the two currencies are the same. Corrected
    # when failover supplies it from another source.
    supplier = models.CharField(max_length=32, blank=True)
    cost_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    margin_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Financial records are never deleted from the back office.
        default_permissions = ("add", "change", "view")
        permissions = [
            ("issue_refund", "Can refund an order through its payment processor"),
            ("view_margin", "Can see an order's cost and margin"),
            ("export_order", "Can export orders as CSV"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="order_total_positive"),
            # Sums rounded to the cent: SQLite keeps decimals as binary
            # floating point, where 4.53 + 0.86 is not 5.39.
            models.CheckConstraint(
                condition=Q(total=Round(F("net_amount") + F("tax_amount"), 2)),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(
                    discount_amount__gte=0,
                    price_before_discount=Round(F("total") + F("discount_amount"), 2),
                ),
                name="order_discount_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("total")),
                name="order_refund_within_total",
            ),
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_idempotency_key_unique_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.public_id}"

    @property
    def money_total(self) -> Money:
        return Money(Decimal(self.total), self.currency)

    @property
    def can_pay(self) -> bool:
        """Waiting for the customer's money: a checkout may be opened."""
        return self.status in PAYABLE_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def has_refund_under_way(self) -> bool:
        """A refund asked for, granted or made (a declined request does not count).
        Reads ``refunds`` through ``all()``, so a prefetch is used."""
        return any(r.status != Refund.Status.DECLINED for r in self.refunds.all())

    @property
    def can_ask_refund(self) -> bool:
        """The customer may ask for a refund (ORD-05): paid, and none asked for yet."""
        return self.is_paid and not self.has_refund_under_way

    @property
    def can_be_refunded(self) -> bool:
        """Money may go back through the processor."""
        return self.status in REFUNDABLE_STATUSES

    @property
    def promotion(self) -> Promotion | None:
        """The promotion the order used, if any."""
        if self.promotion_use is None:
            return None
        return self.promotion_use.promotion

    @property
    def refundable_amount(self) -> Decimal:
        return Decimal(self.total) - Decimal(self.refunded_amount)


class OrderEvent(TransitionEvent):
    """One transition of an order, written in the transaction that made it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.CharField(max_length=64, help_text="customer, staff:<id>, webhook:<processor>")

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"

    @property
    def to_status_label(self) -> str:
        """The state moved to, in words ("Awaiting payment")."""
        if self.to_status in OrderStatus.values:
            return str(OrderStatus(self.to_status).label)
        return self.to_status


class Fulfilment(models.Model):
    """The one request to fulfil a paid order (provision the eSIM or the top-up).

    Created in the transaction that marks the order paid; its uniqueness is
    what makes fulfilment exactly-once whatever the webhooks do.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Failed")

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="fulfilment")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"fulfilment of {self.order_id}: {self.status}"


class InvoiceSequence(models.Model):
    """The last invoice number issued in a year; locked to number without gaps."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Invoice(models.Model):
    """A numbered invoice, kept 7 years (RET-03).

    The billing details are sealed with the billing key of the year, not the
    customer's key: erasing a customer keeps what tax law needs, and the
    year's key is destroyed when the period ends.
    """

    number = models.CharField(max_length=20, unique=True)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField(default=timezone.now)
    billing_name = EncryptedTextField(subject="@billing:issued_at", row_key="number")
    billing_address = EncryptedJSONField(subject="@billing:issued_at", row_key="number")
    billing_country = models.CharField(max_length=2)
    description = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    net_amount = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    # A promotion's discount before VAT, and its name: the plan's line is the
    # net price before it, VAT is on the price after it (ADR 0031).
    discount_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    discount_label = models.CharField(max_length=150, blank=True)
    # Not printed: the order's margin (its net less the wholesale cost), kept
    # here when issued and when fulfilment names the source that supplied it,
    # so that the reports sum invoices alone (ADR 0033). None: not known.
    margin_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # Who issued it, as the seller stood that day (shop name, legal name,
    # address, registration, VAT number): an invoice never changes, whatever
    # the back office later edits. Empty on invoices issued before it was
    # kept: those show the seller's present details.
    seller = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        default_permissions = ("add", "change", "view")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def net_before_discount(self) -> Decimal:
        """The plan's line: its price before VAT and before the discount."""
        return Decimal(self.net_amount) + Decimal(self.discount_amount)


class Refund(TimeStampedModel):
    class Status(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("Requested by the customer")
        PENDING = "pending", gettext_lazy("Sent to the payment processor")
        SUCCEEDED = "succeeded", gettext_lazy("Refunded")
        FAILED = "failed", gettext_lazy("Failed")
        DECLINED = "declined", gettext_lazy("Declined by staff")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200)
    requested_by = models.CharField(max_length=64)
    processor_ref = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ("add", "change", "view")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} of {self.order_id}"

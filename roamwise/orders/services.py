"""Order writes: checkout, the state machine, invoices, refunds."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from roamwise.accounts.models import User
from roamwise.accounts.selectors import has_verified_email
from roamwise.catalog.models import Plan
from roamwise.catalog.pricing import plan_price
from roamwise.core import locks, states
from roamwise.core.money import Money, quantum
from roamwise.datamap.registry import Sweep, Swept
from roamwise.promotions import services as promotions
from roamwise.vault import services as vault
from roamwise.vault.fields import retention_subject

from . import hooks, invoices, selectors
from .errors import (
    BelowCost,
    EmailNotVerified,
    IdempotencyConflict,
    PlanUnavailable,
    PriceChanged,
    RefundNotAllowed,
)
from .models import (
    Fulfilment,
    Invoice,
    InvoiceSequence,
    Order,
    OrderEvent,
    OrderStatus,
    Refund,
)
from .privacy import BILLING_YEARS

if TYPE_CHECKING:
    from roamwise.suppliers.base import Money as Cost
    from roamwise.suppliers.selectors import SourceCost

logger = logging.getLogger(__name__)
# Invoices are sealed with the key of their year in this scope ("@billing:issued_at").
BILLING_KEY_SCOPE = "billing"


@dataclass(frozen=True)
class CheckoutConsent:
    """What the customer agreed to at checkout: the version of the terms of sale,
    and whether they asked for immediate supply, waiving the right of withdrawal."""

    terms_version: str
    withdrawal_waived: bool


@dataclass(frozen=True)
class BillingDetails:
    name: str
    line1: str
    line2: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2
    phone: str

    def address(self) -> dict[str, str]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "postcode": self.postcode,
            "country": self.country,
        }


@dataclass(frozen=True)
class PriceBreakdown:
    net: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def vat_rate(country: str) -> Decimal:
    return settings.VAT_RATES.get(country.upper(), settings.DEFAULT_VAT_RATE)


def net_of(price: Money, *, rate: Decimal) -> Decimal:
    """The part of a price (VAT included) before VAT at ``rate``, in the
    currency's own unit (whole yen for JPY)."""
    return (price.amount / (1 + rate)).quantize(quantum(price.currency), rounding=ROUND_HALF_UP)


def price_breakdown(*, price: Money, country: str) -> PriceBreakdown:
    """Catalogue prices include VAT; split out the tax of the billing country."""
    rate = vat_rate(country)
    net = net_of(price, rate=rate)
    return PriceBreakdown(net=net, tax_rate=rate, tax=price.amount - net, total=price.amount)


def checkout_discount(
    *, customer: User, plan: Plan, price: Money, code: str = "", client_ip: str = ""
) -> promotions.Discount | None:
    """The promotion a purchase (a new eSIM or a top-up) gets at checkout: the
    code's, or the best automatic one (ADR 0031); ``PromotionRefused`` says why
    a code does not apply. Typing codes is rate-limited."""
    purchase = promotions.Purchase(
        customer=customer,
        plan=plan,
        price=price,
        first_purchase=not selectors.has_paid_order(customer=customer),
    )
    return promotions.discount_best(purchase=purchase, code=code, client_ip=client_ip)


def price_to_pay(*, price: Money, discount: promotions.Discount | None) -> Money:
    """The price less the discount: what is shown at checkout and charged."""
    if discount is None:
        return price
    return Money(price.amount - discount.amount.amount, price.currency)


def order_create(
    *,
    customer: User,
    plan: Plan,
    billing: BillingDetails,
    idempotency_key: str = "",
    kind: str = Order.Kind.ESIM,
    consent: CheckoutConsent | None = None,
    currency: str = "",
    shown_total: Decimal | None = None,
    promotion_code: str = "",
    client_ip: str = "",
) -> Order:
    """Create an order, or return the one this idempotency key already made.

    ``consent`` is recorded on the order as given at checkout: the terms version
    accepted, and the moment the right of withdrawal was waived.

    The order keeps the price in ``currency`` (the plan's own when none is
    given) as it is now; ``shown_total`` is the price the customer was shown,
    and the order is refused if that is no longer the price, so that what is
    charged is always what was shown (ADR 0027).

    A new eSIM or a top-up gets the promotion of ``promotion_code``, or the
    best automatic one: the order keeps the price before it, the discount and the use, which
    is held under the promotion's limits with the order (ADR 0031).
    """
    currency = currency or plan.currency
    if idempotency_key:
        existing = Order.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request_or_conflict(existing, plan, currency)
    if not has_verified_email(customer):
        raise EmailNotVerified(gettext("Verify your email address before buying."))
    if not plan.is_active:
        raise PlanUnavailable(gettext("This plan is no longer on sale."))
    price = plan_price(plan=plan, currency=currency)
    discount = checkout_discount(
        customer=customer, plan=plan, price=price, code=promotion_code, client_ip=client_ip
    )
    to_pay = price_to_pay(price=price, discount=discount)
    if shown_total is not None and shown_total != to_pay.amount:
        raise PriceChanged(
            _("The price of this plan is now %(price)s; check it and confirm again.")
            % {"price": to_pay}
        )
    prices = price_breakdown(price=to_pay, country=billing.country)
    costs = hooks.plan_costs(plan_id=plan.pk)
    # Costs are in the supplier's currency: the floor is checked on the plan's
    # own price, which the rate table and per-currency prices follow. A
    # promotion may take the sale below it on purpose: the margin shows it.
    own = price_breakdown(price=plan.money, country=billing.country)
    below = below_cost(net=own.net, currency=plan.currency, costs=costs)
    if below and not plan.sell_below_cost:
        logger.warning("plan %s not sold: %s", plan.pk, below)
        raise BelowCost(
            _(
                "This plan cannot be sold at its current price, which would not cover "
                "its cost. Please choose another plan."
            )
        )
    sale = costs[0]  # the preferred source; failover corrects it (order_cost_record)
    try:
        with transaction.atomic():
            use = None
            if discount is not None:
                use = promotions.promotion_hold(discount=discount, customer=customer)
            order = Order.objects.create(
                customer=customer,
                plan=plan,
                kind=kind,
                currency=price.currency,
                net_amount=prices.net,
                tax_rate=prices.tax_rate,
                tax_amount=prices.tax,
                total=prices.total,
                price_before_discount=price.amount,
                discount_amount=discount.amount.amount if discount else Decimal(0),
                promotion_use=use,
                supplier=sale.supplier,
                cost_amount=sale.cost.amount if sale.cost else None,
                cost_currency=sale.cost.currency if sale.cost else "",
                margin_amount=margin(net=prices.net, currency=price.currency, cost=sale.cost),
                billing_name=billing.name,
                billing_address=billing.address(),
                billing_country=billing.country.upper(),
                contact_phone=billing.phone,
                idempotency_key=idempotency_key,
                terms_version=consent.terms_version if consent else "",
                withdrawal_waived_at=(
                    timezone.now() if consent and consent.withdrawal_waived else None
                ),
            )
            OrderEvent.objects.create(
                order=order, from_status="", to_status=OrderStatus.CREATED, actor="customer"
            )
    except IntegrityError:
        # The same key raced us to it: the other request's order is the answer.
        existing = Order.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
        if existing is None:
            raise  # not a race on the key: a real fault, reported as itself
        return _same_request_or_conflict(existing, plan, currency)
    return order


def below_cost(*, net: Decimal, currency: str, costs: list[SourceCost]) -> str:
    """Why selling at ``net`` (before VAT) would be below the cost of one of the
    plan's sources, any of which may supply it (failover), or "". A cost in
    another currency cannot be compared without a rate, so it counts as below."""
    for source in costs:
        if source.cost is None:
            continue  # over ES2+: the cost is not known here
        if source.cost.currency != currency:
            return (
                f"{source.supplier} charges in {source.cost.currency}, the plan sells in "
                f"{currency}: no rate to compare them"
            )
        if net < source.cost.amount:
            return (
                f"{net} {currency} before VAT is below the cost at {source.supplier} "
                f"({source.cost.amount} {source.cost.currency})"
            )
    return ""


def margin(*, net: Decimal, currency: str, cost: Cost | None) -> Decimal | None:
    """The price before VAT less the cost, when both are in one currency; otherwise
    not known (no conversion is guessed)."""
    if cost is None or cost.currency != currency:
        return None
    return net - cost.amount


def order_cost_record(*, order_id: int, supplier: str, cost: Cost | None) -> None:
    """The source that supplied the order, and what it charged: the order's
    supplier, cost and margin follow it (failover may pick another source),
    and so does the margin kept on its invoice."""
    order = Order.objects.only("net_amount", "currency").get(pk=order_id)
    earned = margin(net=order.net_amount, currency=order.currency, cost=cost)
    with transaction.atomic():
        Order.objects.filter(pk=order_id).update(
            supplier=supplier,
            cost_amount=cost.amount if cost else None,
            cost_currency=cost.currency if cost else "",
            margin_amount=earned,
        )
        # The invoice's copy of the margin, which the reports sum, follows.
        Invoice.objects.filter(order_id=order_id).update(margin_amount=earned)


def _same_request_or_conflict(existing: Order, plan: Plan, currency: str) -> Order:
    if existing.plan_id != plan.pk or existing.currency != currency:
        raise IdempotencyConflict(gettext("This idempotency key was used for another order."))
    return existing


def order_transition(
    *, order: Order, to_status: str, actor: str, note: str = "", **fields: Any
) -> Order:
    """Move the order on (roamwise.core.states.move: raises if it moved meanwhile)."""
    states.move(order, to_status, actor=actor, note=note, **fields)
    return order


def order_await_payment(*, order: Order) -> Order:
    if order.status == OrderStatus.AWAITING_PAYMENT:
        return order
    return order_transition(order=order, to_status=OrderStatus.AWAITING_PAYMENT, actor="customer")


def order_mark_paid(*, order_id: int, actor: str) -> bool:
    """Mark an order paid, once. Returns True only for the call that did it.

    Must run inside the caller's transaction: the invoice and the fulfilment
    request are written with the transition, or not at all.
    """
    order = Order.objects.select_related("plan__destination", "promotion_use__promotion").get(
        pk=order_id
    )
    # An expired checkout paid late is paid all the same: the money arrived.
    if not states.try_move(
        order,
        OrderStatus.PAID,
        allowed_from=(OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED),
        actor=actor,
        paid_at=timezone.now(),
    ):
        return False
    if order.promotion_use_id is not None:
        promotions.promotion_use_count(use_id=order.promotion_use_id)
    invoice_issue(order=order)
    Fulfilment.objects.create(order=order)
    return True


def orders_expire(*, now: datetime | None = None) -> int:
    """Abandoned checkouts expire: an order still unpaid CHECKOUT_EXPIRY_MINUTES
    after it was made moves to "expired" (a late payment still marks it paid).
    Returns how many expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHECKOUT_EXPIRY_MINUTES)
    stale = Order.objects.filter(
        status__in=(OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT), created_at__lt=cutoff
    ).only("pk", "status", "promotion_use_id")
    expired = 0
    for order in stale:
        with transaction.atomic():
            # An order paid meanwhile is left alone.
            moved = states.try_move(
                order, OrderStatus.EXPIRED, actor="system", note="checkout abandoned"
            )
            if moved and order.promotion_use_id is not None:
                # Its promotion's place is free again (a late payment takes it back).
                promotions.promotion_use_release(use_id=order.promotion_use_id)
        expired += moved
    return expired


def invoice_issue(*, order: Order) -> Invoice:
    """Number invoices without gaps: the year's counter is locked, and the
    number is taken in the same transaction as the payment. The invoice keeps
    the order's margin, for the reports (ADR 0033)."""
    issued_at = timezone.now()
    year = issued_at.year
    InvoiceSequence.objects.get_or_create(year=year)
    sequence = locks.lock(InvoiceSequence.objects.filter(year=year))[0]
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    # VAT is on the price paid; the discount line is the difference before VAT.
    discount_net = Decimal(0)
    discount_label = ""
    if order.discount_amount:
        before = Money(Decimal(order.price_before_discount), order.currency)
        discount_net = net_of(before, rate=Decimal(order.tax_rate)) - Decimal(order.net_amount)
        promotion = order.promotion
        discount_label = str(promotion)[:150] if promotion is not None else ""
    return Invoice.objects.create(
        number=f"RW-{year}-{sequence.last_number:06d}",
        year=year,
        sequence=sequence.last_number,
        order=order,
        issued_at=issued_at,
        billing_name=order.billing_name,
        billing_address=order.billing_address,
        billing_country=order.billing_country,
        description=f"{order.get_kind_display()}: {order.plan.name}",
        currency=order.currency,
        net_amount=order.net_amount,
        tax_rate=order.tax_rate,
        tax_amount=order.tax_amount,
        total=order.total,
        discount_amount=discount_net,
        discount_label=discount_label,
        margin_amount=order.margin_amount,
        seller=invoices.seller_on_issue(),
    )


def refund_request(*, order: Order, reason: str) -> Refund:
    """A customer asks for a refund of an unused eSIM, in their own words; staff decide (ORD-05)."""
    reason = reason.strip()[:200]
    if not reason:
        raise RefundNotAllowed(gettext("Tell us in a few words why you want a refund."))
    with transaction.atomic():
        locked = locks.lock_one(Order.objects.all(), order.pk)
        if not locked.is_paid:
            raise RefundNotAllowed(gettext("Only a paid order can be refunded."))
        if locked.has_refund_under_way:
            raise RefundNotAllowed(gettext("A refund is already on its way for this order."))
        return Refund.objects.create(
            order=locked,
            amount=locked.refundable_amount,
            currency=locked.currency,
            status=Refund.Status.REQUESTED,
            reason=reason,
            requested_by="customer",
        )


def order_fulfilled(*, order_id: int, actor: str) -> bool:
    """The paid order was delivered (its eSIM is ready, its top-up added). Once."""
    with transaction.atomic():
        moved = states.try_move(
            Order.objects.get(pk=order_id),
            OrderStatus.FULFILLED,
            allowed_from=(OrderStatus.PAID,),
            actor=actor,
        )
        Fulfilment.objects.filter(order_id=order_id, status=Fulfilment.Status.PENDING).update(
            status=Fulfilment.Status.DONE, completed_at=timezone.now()
        )
    return moved


def order_note(*, order_id: int, actor: str, note: str) -> None:
    """Record on the order something that happened to it without changing its
    status (a supplier that failed it, an extra profile reconciled)."""
    status = Order.objects.values_list("status", flat=True).get(pk=order_id)
    OrderEvent.objects.create(
        order_id=order_id, from_status=status, to_status=status, actor=actor, note=note[:200]
    )


def order_fulfilment_failed(*, order_id: int, actor: str, note: str) -> bool:
    """The paid order cannot be delivered: it fails, and is then refunded."""
    with transaction.atomic():
        moved = states.try_move(
            Order.objects.get(pk=order_id),
            OrderStatus.FAILED,
            allowed_from=(OrderStatus.PAID,),
            actor=actor,
            note=note,
        )
        Fulfilment.objects.filter(order_id=order_id, status=Fulfilment.Status.PENDING).update(
            status=Fulfilment.Status.FAILED, completed_at=timezone.now()
        )
    return moved


def _billing_years_end(now: datetime) -> datetime:
    """Invoices issued before this are past their 7 years: counted from the
    end of the year of issue (an invoice of 2019 is kept until 2026 ends)."""
    return datetime(now.astimezone(UTC).year - BILLING_YEARS, 1, 1, tzinfo=UTC)


def invoices_sweep(*, sweep: Sweep) -> Swept:
    """The data map's sweeper of invoices (RET-03): an invoice is deleted 7
    years after the end of its year of issue, and once a year has no invoice
    left its billing key is destroyed, so that copies of those invoices in
    backups can no longer be read. Invoices under a legal hold stay, and keep
    their year's key alive."""
    due = Invoice.objects.filter(issued_at__lt=_billing_years_end(sweep.now))
    held = 0
    if sweep.held is not None:
        held = due.filter(sweep.held).count()
        due = due.exclude(sweep.held)
    if sweep.dry_run:
        return Swept(deleted=due.count(), held=held)
    deleted = 0
    years: set[int] = set()
    while rows := list(due.order_by("pk").values_list("pk", "issued_at")[: sweep.chunk_size]):
        years.update(issued_at.astimezone(UTC).year for _, issued_at in rows)
        with transaction.atomic():
            deleted += Invoice.objects.filter(pk__in=[pk for pk, _ in rows]).delete()[0]
    for year in sorted(years):
        start = datetime(year, 1, 1, tzinfo=UTC)
        left = Invoice.objects.filter(
            issued_at__gte=start, issued_at__lt=start.replace(year=year + 1)
        )
        if not left.exists():
            vault.shred(retention_subject(BILLING_KEY_SCOPE, year))
    return Swept(deleted=deleted, held=held)

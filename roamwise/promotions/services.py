"""Promotion writes and the discount of a purchase (ADR 0031).

Orders asks ``discount_best`` what a purchase is discounted by, holds the use
with ``promotion_hold`` in the transaction that makes the order, has it
counted by ``promotion_use_count`` in the transaction that marks the order
paid, and released by ``promotion_use_release`` when the checkout expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.core.dates import local_date
from roamwise.core.money import Money, quantum
from roamwise.core.ratelimit import rate_limit

from . import selectors
from .errors import PromotionRefused
from .models import Promotion, PromotionUse

if TYPE_CHECKING:
    from roamwise.accounts.models import User
    from roamwise.catalog.models import Plan

CODE_ATTEMPTS_WINDOW = 3600


@dataclass(frozen=True)
class Purchase:
    """What is being bought, by whom: what a promotion is checked against.
    ``first_purchase``: the customer has never paid for an order (orders knows)."""

    customer: User
    plan: Plan
    price: Money
    first_purchase: bool


@dataclass(frozen=True)
class Discount:
    """A promotion applied to a purchase: ``amount`` off its price, VAT
    included, in the price's currency and unit (whole yen for JPY)."""

    promotion_id: int
    name: str
    code: str
    amount: Money


def _refused(code: str, message: str) -> PromotionRefused:
    return PromotionRefused(message, code=f"promotion_{code}")


def _day(moment: datetime) -> str:
    return local_date(moment)


def discount_amount(*, promotion: Promotion, price: Money) -> Money | None:
    """What the promotion takes off the price, or None when it has no amount
    in the price's currency. Never the whole price: an order is never free
    (the processor takes no zero amount), so at most the price less its
    smallest unit."""
    if promotion.kind == Promotion.Kind.PERCENT:
        assert promotion.percent is not None  # the check constraint holds it
        off = (price.amount * promotion.percent / 100).quantize(
            quantum(price.currency), rounding=ROUND_HALF_UP
        )
    else:
        amount = next((a for a in promotion.amounts.all() if a.currency == price.currency), None)
        if amount is None:
            return None
        off = Decimal(amount.amount).quantize(quantum(price.currency))
    return Money(min(off, price.amount - quantum(price.currency)), price.currency)


def promotion_check(
    *, promotion: Promotion, purchase: Purchase, now: datetime | None = None
) -> Money:
    """The discount the promotion gives this purchase, or ``PromotionRefused``
    saying why it does not apply, in the customer's words."""
    now = now or timezone.now()
    if not promotion.is_active:
        raise _refused("ended", gettext("This code is no longer valid."))
    if promotion.starts_at is not None and now < promotion.starts_at:
        raise _refused(
            "not_yet_valid",
            gettext("This code is not valid yet: it starts on %(date)s.")
            % {"date": _day(promotion.starts_at)},
        )
    if promotion.ends_at is not None and now >= promotion.ends_at:
        raise _refused(
            "expired",
            gettext("This code expired on %(date)s.") % {"date": _day(promotion.ends_at)},
        )
    off = discount_amount(promotion=promotion, price=purchase.price)
    if off is None or off.amount <= 0:
        raise _refused(
            "not_in_currency",
            gettext("This code cannot be used when paying in %(currency)s.")
            % {"currency": purchase.price.currency},
        )
    if not selectors.covers_destination(promotion=promotion, plan=purchase.plan):
        raise _refused(
            "not_for_destination",
            gettext("This code is not valid for plans for %(destination)s.")
            % {"destination": purchase.plan.destination.display_name},
        )
    if not selectors.covers_plan(promotion=promotion, plan=purchase.plan):
        raise _refused("not_for_plan", gettext("This code is not valid for this plan."))
    if promotion.first_purchase_only and not purchase.first_purchase:
        raise _refused("first_purchase_only", gettext("This code is only for a first purchase."))
    _check_limits(promotion=promotion, customer=purchase.customer)
    return off


def _check_limits(*, promotion: Promotion, customer: User) -> None:
    if promotion.max_uses_per_customer is not None:
        own = list(
            selectors.uses_taken(promotion=promotion, customer=customer).values_list(
                "status", flat=True
            )
        )
        if len(own) >= promotion.max_uses_per_customer:
            if PromotionUse.Status.HELD in own:
                raise _refused(
                    "held_by_you",
                    gettext(
                        "An unpaid order of yours already uses this code: pay that order, or "
                        "wait until it expires."
                    ),
                )
            raise _refused("already_used", gettext("You have already used this code."))
    taken = selectors.uses_taken(promotion=promotion)
    if promotion.max_uses is not None and taken.count() >= promotion.max_uses:
        raise _refused("used_up", gettext("This code has been used up."))


def _count_attempt(*, customer: User, client_ip: str) -> None:
    """Codes are short: typing them is limited, per customer and per address,
    so that they cannot be found by trying (``PROMOTION_CODE_ATTEMPTS``)."""
    limit = settings.PROMOTION_CODE_ATTEMPTS
    rate_limit(
        key=f"promotion-code:customer:{customer.pk}",
        limit=limit,
        window_seconds=CODE_ATTEMPTS_WINDOW,
    )
    if client_ip:
        # Hashed: an address has no place in a cache key.
        digest = hashlib.sha256(client_ip.encode()).hexdigest()
        rate_limit(
            key=f"promotion-code:ip:{digest}", limit=limit, window_seconds=CODE_ATTEMPTS_WINDOW
        )


def discount_best(*, purchase: Purchase, code: str = "", client_ip: str = "") -> Discount | None:
    """The discount of a purchase: the code's, if one is given (refused with
    the reason if it does not apply), or the best of the automatic promotions
    that apply, whichever takes off more. None: no promotion applies."""
    now = timezone.now()
    candidates: list[Discount] = []
    if selectors.normalised_code(code):
        _count_attempt(customer=purchase.customer, client_ip=client_ip)
        promotion = selectors.promotion_by_code(code=code)
        if promotion is None:
            raise _refused("unknown", gettext("There is no such code: check its spelling."))
        off = promotion_check(promotion=promotion, purchase=purchase, now=now)
        candidates.append(_discount(promotion, off))
    for promotion in selectors.automatic_promotions(now=now):
        try:
            off = promotion_check(promotion=promotion, purchase=purchase, now=now)
        except PromotionRefused:
            continue
        candidates.append(_discount(promotion, off))
    if not candidates:
        return None
    # The largest; on a tie, the code typed (it comes first).
    return max(candidates, key=lambda d: d.amount.amount)


def _discount(promotion: Promotion, off: Money) -> Discount:
    return Discount(promotion_id=promotion.pk, name=promotion.name, code=promotion.code, amount=off)


def _locked(promotion_id: int) -> Promotion:
    """The one place a promotion row is locked: every hold of one promotion
    waits for the one before it, so its limits are never overrun."""
    return Promotion.objects.select_for_update().get(pk=promotion_id)


def promotion_hold(*, discount: Discount, customer: User) -> PromotionUse:
    """Take a place under the promotion's limits for an order about to be
    made. Must run in the transaction that makes the order: with it, or not
    at all. Refused, saying why, if another checkout took the last place."""
    promotion = _locked(discount.promotion_id)
    _check_limits(promotion=promotion, customer=customer)
    return PromotionUse.objects.create(promotion=promotion, customer=customer)


def promotion_use_count(*, use_id: int) -> bool:
    """The order was paid: its use counts, once, whatever the number of
    webhooks. A use released because the checkout expired counts again when
    the payment arrives late: the customer paid the discounted price."""
    counted = PromotionUse.objects.filter(
        pk=use_id, status__in=(PromotionUse.Status.HELD, PromotionUse.Status.RELEASED)
    ).update(status=PromotionUse.Status.COUNTED, counted_at=timezone.now())
    if counted != 1:
        return False
    promotion_id = PromotionUse.objects.values_list("promotion_id", flat=True).get(pk=use_id)
    Promotion.objects.filter(pk=promotion_id).update(uses_count=F("uses_count") + 1)
    return True


def promotion_use_release(*, use_id: int) -> bool:
    """The checkout expired unpaid: its place under the limits is free again."""
    released = PromotionUse.objects.filter(pk=use_id, status=PromotionUse.Status.HELD).update(
        status=PromotionUse.Status.RELEASED
    )
    return released == 1

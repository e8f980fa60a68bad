"""Promotion reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from .models import Promotion, PromotionUse

if TYPE_CHECKING:
    from roamwise.accounts.models import User
    from roamwise.catalog.models import Plan

# A use that takes a place under the limits: held for an unpaid order, or paid.
TAKEN = (PromotionUse.Status.HELD, PromotionUse.Status.COUNTED)


def normalised_code(code: str) -> str:
    """Codes are typed in any case, with stray spaces: " summer10 " is SUMMER10."""
    return "".join(code.split()).upper()


def promotion_by_code(*, code: str) -> Promotion | None:
    code = normalised_code(code)
    if not code:
        return None
    return Promotion.objects.filter(code__iexact=code).first()


def automatic_promotions(*, now: datetime) -> QuerySet[Promotion]:
    """The automatic promotions running now, with their amounts."""
    return (
        Promotion.objects.filter(code="", is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .prefetch_related("amounts")
    )


def uses_taken(*, promotion: Promotion, customer: User | None = None) -> QuerySet[PromotionUse]:
    uses = PromotionUse.objects.filter(promotion=promotion, status__in=TAKEN)
    return uses if customer is None else uses.filter(customer=customer)


def covers_plan(*, promotion: Promotion, plan: Plan) -> bool:
    """Whether the promotion's plans include this one (none named: all)."""
    plans = promotion.plans.all()
    return not plans.exists() or plans.filter(pk=plan.pk).exists()


def covers_destination(*, promotion: Promotion, plan: Plan) -> bool:
    """Whether the plan's destination is one of the promotion's, or a country
    of one of its regions (none named: every destination)."""
    destinations = promotion.destinations.all()
    if not destinations.exists():
        return True
    return destinations.filter(
        Q(pk=plan.destination_id) | Q(countries=plan.destination_id)
    ).exists()

"""Pricing reads: what each plan costs, what a rule looks at, the rules in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from roamwise.catalog.models import CurrencyRate, Destination, Plan
from roamwise.suppliers.models import PlanSource, SupplierPackage
from roamwise.suppliers.registry import SUPPLIERS

from .models import PriceOverride, PricingRule
from .rules import PlanFacts

ES2PLUS = "es2plus"
PLAN_TYPES: dict[str, str] = {
    Destination.Kind.COUNTRY: PricingRule.PlanType.LOCAL,
    Destination.Kind.REGION: PricingRule.PlanType.REGIONAL,
    Destination.Kind.GLOBAL: PricingRule.PlanType.GLOBAL,
}


@dataclass(frozen=True)
class SourcePrice:
    """What one source of a plan charges, as the supplier states it."""

    supplier: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PlanCosts:
    """A plan's preferred supplier and what each of its packaged sources charges,
    preferred first (ADR 0025); no costs when it is supplied over ES2+ first."""

    supplier: str
    sources: tuple[SourcePrice, ...]

    @property
    def preferred(self) -> SourcePrice | None:
        return self.sources[0] if self.sources and self.supplier != ES2PLUS else None


def plan_costs(plan_ids: Iterable[int]) -> dict[int, PlanCosts]:
    """Each plan's costs by plan id, in one query. A plan without sources is
    supplied over ES2+, whose cost is not known here (ADR 0020)."""
    ids = list(plan_ids)
    by_plan: dict[int, list[PlanSource]] = defaultdict(list)
    sources = PlanSource.objects.filter(plan_id__in=ids).select_related("package")
    for source in sources.order_by("plan_id", "rank", "pk"):
        by_plan[source.plan_id].append(source)
    found = {}
    for plan_id in ids:
        rows = by_plan.get(plan_id, [])
        first = rows[0] if rows else None
        supplier = first.package.supplier if first and first.package else ES2PLUS
        found[plan_id] = PlanCosts(
            supplier=supplier,
            sources=tuple(
                SourcePrice(
                    row.package.supplier,
                    Decimal(row.package.wholesale_amount),
                    row.package.wholesale_currency,
                )
                for row in rows
                if row.package is not None
            ),
        )
    return found


def rates() -> dict[str, Decimal]:
    """Units of each currency per unit of the base currency; the base is 1."""
    table = dict(CurrencyRate.objects.values_list("currency", "rate"))
    table[settings.DEFAULT_CURRENCY] = Decimal(1)
    return table


def converted(
    amount: Decimal, source: str, target: str, table: dict[str, Decimal]
) -> Decimal | None:
    """An amount in another currency through the base, unrounded; None without a rate."""
    if source == target:
        return amount
    if source not in table or target not in table:
        return None
    return amount / table[source] * table[target]


def plan_facts(plans: Iterable[Plan], costs: dict[int, PlanCosts]) -> dict[int, PlanFacts]:
    """What the rules' scopes look at, for plans read with their destination."""
    plans = list(plans)
    countries = {plan.destination_id for plan in plans}
    through = Destination.countries.through
    regions_of: dict[int, set[int]] = defaultdict(set)
    for region_id, country_id in through.objects.filter(
        to_destination_id__in=countries
    ).values_list("from_destination_id", "to_destination_id"):
        regions_of[country_id].add(region_id)
    return {
        plan.pk: PlanFacts(
            plan_id=plan.pk,
            currency=plan.currency,
            destination_id=plan.destination_id,
            region_ids=frozenset({plan.destination_id, *regions_of[plan.destination_id]}),
            plan_type=PLAN_TYPES.get(plan.destination.kind, ""),
            unlimited=plan.is_unlimited,
            supplier=costs[plan.pk].supplier,
        )
        for plan in plans
    }


def active_rules() -> list[PricingRule]:
    """The rules in force, the one that wins first: the most specific scope,
    then the higher priority, then the older rule."""
    rules = list(PricingRule.objects.filter(is_active=True))
    return sorted(rules, key=lambda rule: (-rule.specificity, -rule.priority, rule.pk))


def overrides(plan_ids: Iterable[int]) -> dict[int, PriceOverride]:
    return {row.plan_id: row for row in PriceOverride.objects.filter(plan_id__in=list(plan_ids))}


def highest_vat_rate() -> Decimal:
    """The highest VAT rate the shop charges: a price covers its cost before
    VAT in every country only if it does at this rate (checkout, ADR 0025)."""
    return max([settings.DEFAULT_VAT_RATE, *settings.VAT_RATES.values()])


def supplier_codes() -> list[str]:
    """The suppliers a rule may name: those with packages in the catalogue."""
    stored = SupplierPackage.objects.values_list("supplier", flat=True).distinct()
    return sorted({*SUPPLIERS, *stored})

"""The arithmetic of a pricing rule, apart from the database (ADR 0034).

cost x (1 + percent / 100) + fixed, rounded up by the rule's ``Rounding``
(``core.money.round_price``: to the cent, to a whole unit, to .99), then
raised to the floor or lowered to the ceiling, which are exact amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from roamwise.core.money import round_price


@dataclass(frozen=True)
class PlanFacts:
    """What a rule's scope looks at in a plan."""

    plan_id: int
    currency: str
    destination_id: int
    # The plan's destination and every region it belongs to (a region's own
    # plans, and the plans of each of its countries).
    region_ids: frozenset[int]
    # "local", "regional" or "global", from the destination's kind.
    plan_type: str
    unlimited: bool
    # The supplier of the preferred source ("es2plus" without a package).
    supplier: str


@dataclass(frozen=True)
class RulePrice:
    amount: Decimal
    # "floor" or "ceiling" when one of them set the price, else "".
    bound: str = ""


def rule_price(
    *,
    cost: Decimal,
    currency: str,
    percent: Decimal,
    fixed: Decimal,
    rounding: str,
    floor: Decimal | None,
    ceiling: Decimal | None,
) -> RulePrice:
    raw = cost * (1 + percent / Decimal(100)) + fixed
    amount = round_price(max(raw, Decimal(0)), currency, rounding)
    if floor is not None and amount < floor:
        return RulePrice(floor, bound="floor")
    if ceiling is not None and amount > ceiling:
        return RulePrice(ceiling, bound="ceiling")
    return RulePrice(amount)

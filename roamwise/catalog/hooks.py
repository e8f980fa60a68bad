"""What catalog calls in the apps above it (``core.upward``, ADR 0021).

The suppliers app sits above the catalogue (its packages are sold as
plans); the back office's plan page shows what each of the plan's sources
charges, so that staff see the cost beside the price (ADR 0025).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.suppliers.selectors import SourceCost

UPWARD = {
    # What each of the plan's sources charges, preferred first.
    "plan_costs": "roamwise.suppliers.selectors.plan_costs",
}


def plan_costs(*, plan_id: int) -> list[SourceCost]:
    costs: list[SourceCost] = call_up(UPWARD, "plan_costs")(plan_id=plan_id)
    return costs

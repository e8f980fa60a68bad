"""A wholesaler's eSIM after the sale (ADR 0024): paused, resumed, deleted and
topped up at its supplier, through the supplier interface, never over ES2+ or
at the network partner. ``esims.services`` asks here first for every eSIM.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from roamwise.suppliers.base import Capability
from roamwise.suppliers.errors import SupplierError, SupplierUnavailable
from roamwise.suppliers.models import Allocation
from roamwise.suppliers.registry import supplier_for

logger = logging.getLogger(__name__)

# What a customer is told when the supplier's API cannot do it.
NOT_OFFERED = {
    "suspend": "This eSIM's provider does not let us pause it.",
    "resume": "This eSIM's provider does not let us resume it.",
}
UNAVAILABLE = "This eSIM's provider is not answering just now; try again in a few minutes."


def supplied_allocation(*, order_id: int) -> Allocation | None:
    """The allocation whose profile is the eSIM of ``order_id``: None for an
    eSIM supplied over ES2+."""
    return Allocation.objects.filter(
        order_id=order_id, disposition=Allocation.Disposition.FULFILLED
    ).first()


def supplied_change(*, allocation: Allocation, action: str) -> str:
    """Ask the supplier to suspend or resume the eSIM. What went wrong, in
    words for the customer, or "" once the supplier did it."""
    supplier = supplier_for(allocation.supplier)
    if Capability.SUSPEND not in supplier.capabilities:
        return NOT_OFFERED[action]
    try:
        if action == "suspend":
            supplier.suspend(iccid=allocation.iccid)
        else:
            supplier.resume(iccid=allocation.iccid)
    except SupplierUnavailable as exc:
        logger.warning("supplier %s: %s failed: %s", allocation.supplier, action, exc.message)
        return UNAVAILABLE
    except SupplierError as exc:
        logger.warning("supplier %s: %s refused: %s", allocation.supplier, action, exc.message)
        return f"This eSIM's provider refused: {exc.message}"
    return ""


def topup_plans_filter(*, allocation: Allocation) -> Q:
    """Plans that top up this eSIM: those a top-up package of its supplier supplies."""
    return Q(
        sources__package__supplier=allocation.supplier,
        sources__package__top_up=True,
        sources__package__active=True,
    )

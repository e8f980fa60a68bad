"""What rights calls in the apps above it (``core.upward``, ADR 0021).

The erasure page lists the live eSIMs erasing ends, from the esims app beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.accounts.models import User
    from roamwise.esims.selectors import LiveEsim

UPWARD = {
    # Each live eSIM with its data left, validity and refund (erasure, closing).
    "esims_live_of": "roamwise.esims.selectors.esims_live_of",
}


def esims_live_of(*, customer: User) -> list[LiveEsim]:
    live: list[LiveEsim] = call_up(UPWARD, "esims_live_of")(customer=customer)
    return live

"""What retention calls in the apps above it (``core.upward``, ADR 0021).

Rights sits above retention: its erasure respects retention's legal holds.
The closed-accounts rule of the sweep erases each account through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roamwise.core.upward import call_up

if TYPE_CHECKING:
    from roamwise.accounts.models import User

UPWARD = {
    # Erases the account (``rights.erasure.erase_subject``); answers "" when
    # done, or the name of what stopped it for this account alone.
    "erase_subject": "roamwise.rights.erasure.erasure_attempt",
}


def erase_subject(*, user: User, reason: str) -> str:
    problem: str = call_up(UPWARD, "erase_subject")(user=user, reason=reason)
    return problem

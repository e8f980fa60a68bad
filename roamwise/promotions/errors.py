from __future__ import annotations

from roamwise.core.errors import DomainError


class PromotionRefused(DomainError):
    """A code that does not apply to this purchase; ``code`` says why
    (``promotion_unknown``, ``promotion_expired``, ...), the message says it
    to the customer."""

    code = "promotion_refused"
    status = 422

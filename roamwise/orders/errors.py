from __future__ import annotations

from roamwise.core.errors import DomainError


class EmailNotVerified(DomainError):
    code = "email_not_verified"
    status = 403


class PlanUnavailable(DomainError):
    code = "plan_unavailable"
    status = 409


class TermsOutdated(DomainError):
    """The customer accepted a version of the terms of sale that is not in force."""

    code = "terms_outdated"
    status = 409


class BelowCost(PlanUnavailable):
    """The plan's price would not cover its wholesale cost, and staff have not
    allowed that on purpose (ADR 0025)."""

    code = "plan_below_cost"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"
    status = 409


class OrderNotPayable(DomainError):
    code = "order_not_payable"
    status = 409


class UnknownOrderKind(DomainError):
    """An order of a kind that ``FULFILLERS`` or ``REVOKERS`` does not name: a
    fault of the deployment, never of the customer."""

    code = "unknown_order_kind"
    status = 500


class PriceChanged(DomainError):
    """The price is no longer the one the customer was shown: they confirm the
    new one rather than pay a different amount."""

    code = "price_changed"
    status = 409

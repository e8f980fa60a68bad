from __future__ import annotations

from roamwise.core.errors import DomainError


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 400


class MalformedEvent(DomainError):
    code = "malformed_event"
    status = 400


class GatewayUnavailable(DomainError):
    """The processor could not be reached or failed; the customer may retry."""

    code = "payment_processor_unavailable"
    status = 503


class GatewayRefused(DomainError):
    code = "payment_processor_refused"
    status = 409

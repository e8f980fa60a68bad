from __future__ import annotations

from roamwise.core.errors import DomainError


class InvalidConsent(DomainError):
    code = "invalid_consent"
    status = 422

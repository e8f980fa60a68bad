from __future__ import annotations

from roamwise.core.errors import DomainError


class ReasonRequired(DomainError):
    code = "reason_required"
    status = 400

from __future__ import annotations

from roamwise.core.errors import DomainError


class HoldInvalid(DomainError):
    code = "hold_invalid"

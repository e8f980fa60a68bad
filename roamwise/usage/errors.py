from __future__ import annotations

from roamwise.core.errors import DomainError


class UsageError(DomainError):
    code = "usage_error"
    status = 422


class BatchTooLarge(UsageError):
    code = "batch_too_large"
    status = 413

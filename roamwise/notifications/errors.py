from __future__ import annotations

from roamwise.core.errors import DomainError


class InvalidUnsubscribeLink(DomainError):
    code = "invalid_unsubscribe_link"
    status = 404


class PreferenceLocked(DomainError):
    code = "preference_locked"
    status = 422

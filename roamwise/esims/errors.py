"""The eSIM app's errors."""

from __future__ import annotations

from roamwise.core.errors import DomainError


class EsimError(DomainError):
    code = "esim_error"
    status = 409


class LineChangePending(EsimError):
    """The network's answer was lost and it could not be asked yet. The change
    is not dropped: the sweep repeats it with the same idempotency key until
    the network answers, and the eSIM shows the outcome."""

    code = "network_change_pending"
    status = 202


class NotificationRefused(DomainError):
    code = "invalid_signature"
    status = 401


class NotificationInvalid(DomainError):
    code = "invalid_notification"
    status = 400


class NotificationConflict(DomainError):
    code = "call_identifier_reused"
    status = 409

from __future__ import annotations

from roamwise.core.errors import DomainError


class ConsentLinkInvalid(DomainError):
    code = "consent_link_invalid"
    status = 404


class ConsentLinkExpired(DomainError):
    code = "consent_link_expired"
    status = 410


class AccountAlreadyClosed(DomainError):
    code = "account_closed"
    status = 409

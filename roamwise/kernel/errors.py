from __future__ import annotations

from roamwise.core.errors import DomainError


class PolicyError(Exception):
    """A policy version cannot be published, accepted or loaded as asked; the message says why."""


class RecipientNotVetted(DomainError):
    """A recipient was about to receive personal data before its screening and
    confidentiality agreement were on record (SHR-07): nothing is sent."""

    code = "recipient_not_vetted"
    status = 503

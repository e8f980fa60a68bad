from __future__ import annotations

from roamwise.core.errors import DomainError, InvalidTransition, NotFound


class InvalidRequest(DomainError):
    code = "invalid_request"
    status = 422


class EvidenceRejected(DomainError):
    code = "evidence_rejected"
    status = 422


class RequestNotFound(NotFound):
    code = "request_not_found"


class LinkInvalid(DomainError):
    """A verification or download link that is forged, expired or used."""

    code = "link_invalid"
    status = 404


class ExtensionRefused(DomainError):
    code = "extension_refused"
    status = 409


class ReauthenticationNeeded(DomainError):
    code = "reauthentication_required"
    status = 403


class NoChange(DomainError):
    code = "no_change"
    status = 409


class NotAnExport(DomainError):
    code = "not_an_export"
    status = 409


__all__ = ["InvalidTransition"]

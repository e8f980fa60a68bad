from __future__ import annotations

from roamwise.core.errors import DomainError, InvalidTransition, NotFound


class AttachmentRejected(DomainError):
    code = "attachment_rejected"
    status = 422


class InvalidTicket(DomainError):
    code = "invalid_ticket"
    status = 422


class TicketClosed(DomainError):
    code = "ticket_closed"
    status = 409


class TicketNotFound(NotFound):
    code = "ticket_not_found"


class ConfirmationInvalid(DomainError):
    code = "confirmation_invalid"
    status = 404


class InboundRejected(DomainError):
    code = "inbound_rejected"
    status = 401


__all__ = ["InvalidTransition"]

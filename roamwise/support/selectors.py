"""Reads: a customer's tickets, a visitor's ticket, threads, the queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Avg, F, QuerySet
from django.utils.translation import gettext

from roamwise.accounts.models import User

from .errors import TicketNotFound
from .models import Ticket, TicketAttachment, TicketMessage


def tickets_of(*, customer: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer=customer).order_by("-created_at")


def ticket_get(*, public_id: uuid.UUID | str) -> Ticket:
    ticket = Ticket.objects.select_related("customer").filter(public_id=public_id).first()
    if ticket is None:
        raise TicketNotFound(gettext("No such ticket."))
    return ticket


def ticket_for(
    *, public_id: uuid.UUID | str, user: User | None, visitor_ticket_ids: Iterable[str] = ()
) -> Ticket:
    """The ticket, if this customer owns it or this visitor confirmed it."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        raise TicketNotFound(gettext("No such ticket.")) from None
    ticket = Ticket.objects.select_related("customer").filter(public_id=wanted).first()
    if ticket is not None:
        if user is not None and user.is_authenticated and ticket.customer_id == user.pk:
            return ticket
        if ticket.customer_id is None and ticket.confirmed_at and wanted.hex in visitor_ticket_ids:
            return ticket
    raise TicketNotFound(gettext("No such ticket."))


def thread(*, ticket: Ticket, include_internal: bool = False) -> QuerySet[TicketMessage]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not include_internal:
        messages = messages.filter(internal=False)
    return messages.order_by("created_at", "pk")


def attachment_of(*, ticket: Ticket, public_id: uuid.UUID | str, staff: bool) -> TicketAttachment:
    rows = TicketAttachment.objects.filter(message__ticket=ticket, public_id=public_id)
    if not staff:
        rows = rows.filter(message__internal=False)
    attachment = rows.first()
    if attachment is None:
        raise TicketNotFound(gettext("No such attachment."))
    return attachment


def queue_times(tickets: QuerySet[Ticket]) -> dict[str, timedelta | None]:
    """Average first-response and resolution times over a set of tickets."""
    result = tickets.aggregate(
        first_response=Avg(F("first_response_at") - F("created_at")),
        resolution=Avg(F("resolved_at") - F("created_at")),
    )
    return {key: value for key, value in result.items()}

"""Support records: kept 3 years from their last activity, then deleted
(SUP-02, RET-05); deleted earlier on request. Within that period they also
serve quality assurance: staff review past conversations to improve answers.
A message, its attachments and the ticket's history go with their ticket:
their period runs from the ticket's last activity, not from when each was
written."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from roamwise.accounts.models import User
from roamwise.datamap.registry import (
    A_LINK,
    KEY_NAME,
    ROW_BOOKKEEPING,
    TOKEN_HASH,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)
from roamwise.vault.fields import blind_index_value

SUPPORT_DAYS = 3 * 365
SUPPORT_RETENTION = (
    "3 years after the last message, then deleted (support records and chat logs, "
    "also reviewed for quality assurance meanwhile)"
)


def _tickets_of(user: User) -> QuerySet:
    """A customer's tickets, and those they wrote as a visitor from their address."""
    from .models import Ticket

    index = blind_index_value(Ticket, "contact_email", user.email, "lower") if user.email else "-"
    return Ticket.objects.filter(Q(customer=user) | Q(customer=None, contact_email_index=index))


def _messages_of(user: User) -> QuerySet:
    from .models import TicketMessage

    return TicketMessage.objects.filter(ticket__in=_tickets_of(user))


def _attachments_of(user: User) -> QuerySet:
    from .models import TicketAttachment

    return TicketAttachment.objects.filter(message__ticket__in=_tickets_of(user))


def _events_of(user: User) -> QuerySet:
    from .models import TicketEvent

    return TicketEvent.objects.filter(ticket__in=_tickets_of(user))


data_map.declare(
    Declaration(
        model="support.Ticket",
        label=gettext_lazy("Support requests"),
        subject=_tickets_of,
        description=gettext_lazy(
            "Your support requests: category, subject, status, the order or eSIM they are "
            "about, and a visitor's email address."
        ),
        fields=(
            PersonalField("customer", "user.unique_id"),
            PersonalField("contact_email", "user.contact.email"),
            PersonalField("contact_email_index", "user.contact.email"),
            PersonalField("title", "user.content.support"),
            PersonalField("category", "user.content.support"),
            PersonalField("status", "user.content.support"),
            PersonalField("order", "user.behavior.purchase_history"),
            PersonalField("esim", "user.device.sim"),
            PersonalField("assignee", "user.staff.activity"),
            PersonalField("created_at", "user.content.support"),
            PersonalField("last_message_at", "user.content.support"),
            PersonalField("confirmed_at", "user.content.support"),
            PersonalField("first_response_at", "user.content.support"),
            PersonalField("resolved_at", "user.content.support"),
            PersonalField("closed_at", "user.content.support"),
        ),
        purposes=("support", "quality"),
        legal_basis="contract",
        retention=Retention.after(
            SUPPORT_DAYS,
            anchor="updated_at",
            summary=SUPPORT_RETENTION,
            sweeper="roamwise.support.services.support_records_sweep",
        ),
        erasure=Erasure.delete(),
        # Replies by email carry the ticket's title to its contact address.
        recipients=("hosting", "email"),
        received=(("email", ("contact_email", "title")),),
        # A visitor's ticket, and the emails about it, are sealed with a key of
        # the ticket's own: erasing its writer destroys that key as well.
        key_field="key_subject",
    )
)

data_map.declare(
    Declaration(
        model="support.TicketMessage",
        label=gettext_lazy("Support conversations"),
        subject=_messages_of,
        description=gettext_lazy(
            "The conversation of each request (chat log), internal notes of staff included."
        ),
        fields=(
            PersonalField("body", "user.content.support"),
            PersonalField("author", "user.content.support"),
            PersonalField("channel", "user.content.support"),
            PersonalField("inbound_message_id", "user.content.support"),
            PersonalField("created_at", "user.content.support"),
            PersonalField("author_kind", "user.content.support"),
            PersonalField("internal", "user.content.support"),
        ),
        purposes=("support", "quality"),
        legal_basis="contract",
        retention=Retention.after(
            SUPPORT_DAYS, anchor="ticket__updated_at", summary=SUPPORT_RETENTION
        ),
        erasure=Erasure.delete(),
        # A staff reply is emailed with its text; who wrote it and how stay here.
        recipients=("hosting", "email"),
        received=(("email", ("body",)),),
    )
)

data_map.declare(
    Declaration(
        model="support.TicketAttachment",
        label=gettext_lazy("Support attachments"),
        subject=_attachments_of,
        description=gettext_lazy("Files attached to support messages (encrypted)."),
        fields=(
            PersonalField("filename", "user.content.support"),
            PersonalField("content", "user.content.support"),
            PersonalField("content_type", "user.content.support"),
            PersonalField("size", "user.content.support"),
            PersonalField("created_at", "user.content.support"),
        ),
        purposes=("support", "quality"),
        legal_basis="contract",
        retention=Retention.after(
            SUPPORT_DAYS, anchor="message__ticket__updated_at", summary=SUPPORT_RETENTION
        ),
        erasure=Erasure.delete(),
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="support.TicketEvent",
        label=gettext_lazy("Support request history"),
        subject=_events_of,
        description=gettext_lazy(
            "Status changes and assignments of each request, and which staff member made them."
        ),
        fields=(
            PersonalField("actor", "user.staff.activity"),
            PersonalField("note", "user.content.support"),
            PersonalField("to_status", "user.content.support"),
            PersonalField("from_status", "user.content.support"),
            PersonalField("created_at", "user.content.support"),
        ),
        purposes=("support", "quality"),
        legal_basis="contract",
        retention=Retention.after(
            SUPPORT_DAYS, anchor="ticket__updated_at", summary=SUPPORT_RETENTION
        ),
        erasure=Erasure.delete(),
    )
)

data_map.declare_not_personal(
    NotPersonal("support.CannedReply", reason="Prepared answers written by staff for everyone.")
)

data_map.declare_not_personal(
    NotPersonal(
        "support.Ticket",
        fields=("updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.Ticket",
        fields=("confirm_token_hash",),
        reason=TOKEN_HASH,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.Ticket",
        fields=("key_subject",),
        reason=KEY_NAME,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.TicketAttachment",
        fields=("public_id",),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.TicketAttachment",
        fields=("message",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.TicketEvent",
        fields=("ticket",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.TicketMessage",
        fields=("public_id",),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "support.TicketMessage",
        fields=("ticket",),
        reason=A_LINK,
    )
)

"""Support writes: opening tickets (customers, visitors after confirming their
address), the conversation, staff replies and notes, status and assignment,
and replies that arrive by email through a signed reply-to address."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from pydantic import ValidationError as PydanticValidationError

from roamwise.accounts.models import User
from roamwise.core import states
from roamwise.core.parsing import json_loads
from roamwise.core.ratelimit import rate_limit
from roamwise.core.signing import SignatureError, signature_verify
from roamwise.datamap.registry import Sweep, Swept
from roamwise.esims.models import Esim
from roamwise.notifications import services as notifications
from roamwise.orders.models import Order
from roamwise.vault import services as vault
from roamwise.vault.fields import blind_index_value

from .addresses import addresses_in, reply_address, ticket_id_from_address
from .attachments import Upload, uploads_check
from .errors import (
    AttachmentRejected,
    ConfirmationInvalid,
    InboundRejected,
    InvalidTicket,
    TicketClosed,
)
from .inbound import InboundEmail, strip_quoted
from .models import (
    Category,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)

ACCESS_SALT = "roamwise.support.access"
ACCESS_DAYS = 30
# New tickets an hour (USE-05): a visitor per IP address and per email address,
# a customer per account. Over that, RateLimited: 429 with Retry-After.
VISITOR_LIMITS = (("ip", 10), ("email", 3))
CUSTOMER_TICKETS_PER_HOUR = 10
TICKET_LIMIT_WINDOW = 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_text(title: str, body: str, category: str) -> None:
    if category not in Category.values:
        raise InvalidTicket(gettext("Choose a category."))
    if not title.strip() or len(title) > 200:
        raise InvalidTicket(gettext("Give a subject of up to 200 characters."))
    if not body.strip() or len(body) > 10_000:
        raise InvalidTicket(gettext("Write a message of up to 10,000 characters."))


def _add_message(
    *,
    ticket: Ticket,
    author_kind: str,
    author: User | None,
    body: str,
    channel: str,
    uploads: Sequence[Upload] = (),
    internal: bool = False,
    inbound_message_id: str = "",
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        author_kind=author_kind,
        author=author,
        body=body.strip(),
        channel=channel,
        internal=internal,
        inbound_message_id=inbound_message_id,
    )
    for upload in uploads:
        TicketAttachment.objects.create(
            message=message,
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.content),
            content=upload.content,
        )
    Ticket.objects.filter(pk=ticket.pk).update(
        last_message_at=message.created_at, updated_at=timezone.now()
    )
    return message


def ticket_link(ticket: Ticket) -> str:
    """Where the person who opened the ticket reads it: their account's page,
    or for a visitor a signed link that opens it in their browser."""
    if ticket.customer_id:
        return settings.SITE_URL + reverse("support:detail", args=[ticket.public_id])
    token = signing.TimestampSigner(salt=ACCESS_SALT).sign(ticket.public_id.hex)
    return settings.SITE_URL + reverse("support:access", args=[token])


def access_token_read(token: str) -> uuid.UUID | None:
    try:
        value = signing.TimestampSigner(salt=ACCESS_SALT).unsign(
            token, max_age=timedelta(days=ACCESS_DAYS)
        )
        return uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError):
        return None


def _tell_contact(ticket: Ticket, template: str, context: dict) -> None:
    context = {
        "ticket": ticket,
        "reference": ticket.reference,
        "link": ticket_link(ticket),
        **context,
    }
    if ticket.customer_id:
        assert ticket.customer is not None
        notifications.notify(
            user=ticket.customer,
            kind="support",
            template=template,
            context=context,
            reply_to=reply_address(ticket.public_id),
        )
    else:
        notifications.notify_address(
            to=ticket.contact_email,
            kind="support",
            template=template,
            context=context,
            key_subject=ticket.key_subject,
            reply_to=reply_address(ticket.public_id),
        )


def ticket_open(
    *,
    customer: User,
    category: str,
    title: str,
    body: str,
    channel: str = TicketMessage.Channel.WEB,
    uploads: Sequence[Upload] = (),
    order: Order | None = None,
    esim: Esim | None = None,
) -> Ticket:
    """A signed-in customer writes to support (SUP-01)."""
    _check_text(title, body, category)
    checked = uploads_check(uploads)
    if order is not None and order.customer_id != customer.pk:
        raise InvalidTicket(gettext("That order is not yours."))
    if esim is not None and esim.customer_id != customer.pk:
        raise InvalidTicket(gettext("That eSIM is not yours."))
    _rate_limit("customer", str(customer.pk), CUSTOMER_TICKETS_PER_HOUR)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            customer=customer,
            key_subject=customer.public_id,
            category=category,
            title=title.strip(),
            order=order,
            esim=esim,
            confirmed_at=timezone.now(),
        )
        _add_message(
            ticket=ticket,
            author_kind=TicketMessage.Author.CUSTOMER,
            author=customer,
            body=body,
            channel=channel,
            uploads=checked,
        )
        _tell_contact(ticket, "support/email/received", {})
    return ticket


def _rate_limit(kind: str, key: str, limit: int) -> None:
    # Hashed: an email address is personal data and has no place in a cache key.
    digest = hashlib.sha256(key.encode()).hexdigest()
    rate_limit(
        key=f"support-tickets:{kind}:{digest}", limit=limit, window_seconds=TICKET_LIMIT_WINDOW
    )


def ticket_open_visitor(
    *,
    email: str,
    category: str,
    title: str,
    body: str,
    channel: str = TicketMessage.Channel.WEB,
    uploads: Sequence[Upload] = (),
    client_ip: str = "",
) -> Ticket:
    """Someone without an account writes to support. Staff see the ticket once
    its writer confirms the address with the link we email (nothing is sent
    to staff, and nothing else to the address, before that)."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidTicket(gettext("Enter a valid email address.")) from None
    _check_text(title, body, category)
    checked = uploads_check(uploads)
    for kind, limit in VISITOR_LIMITS:
        _rate_limit(kind, client_ip if kind == "ip" else email.lower(), limit)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            contact_email=email,
            key_subject=uuid.uuid4(),
            category=category,
            title=title.strip(),
            confirm_token_hash=_hash(token),
        )
        _add_message(
            ticket=ticket,
            author_kind=TicketMessage.Author.CUSTOMER,
            author=None,
            body=body,
            channel=channel,
            uploads=checked,
        )
        notifications.notify_address(
            to=email,
            kind="support",
            template="support/email/confirm",
            context={
                "reference": ticket.reference,
                "link": settings.SITE_URL + reverse("support:confirm", args=[token]),
                "days": settings.SUPPORT_VISITOR_CONFIRM_DAYS,
            },
            key_subject=ticket.key_subject,
        )
    return ticket


def ticket_confirm(*, token: str) -> Ticket:
    """The visitor's address is theirs: the ticket goes to the queue."""
    ticket = Ticket.objects.filter(confirm_token_hash=_hash(token), customer=None).first()
    if ticket is None:
        raise ConfirmationInvalid(gettext("This confirmation link is not valid."))
    expires = ticket.created_at + timedelta(days=settings.SUPPORT_VISITOR_CONFIRM_DAYS)
    if ticket.confirmed_at is None:
        if timezone.now() > expires:
            raise ConfirmationInvalid(
                gettext("This confirmation link has expired; write to us again.")
            )
        with transaction.atomic():
            updated = Ticket.objects.filter(pk=ticket.pk, confirmed_at__isnull=True).update(
                confirmed_at=timezone.now(), updated_at=timezone.now()
            )
            if updated:
                TicketEvent.objects.create(ticket=ticket, note="address confirmed")
        ticket.refresh_from_db()
    return ticket


def _tickets_delete(pks: Sequence[int]) -> int:
    """Delete tickets (their messages, attachments and events go with them)
    and destroy the keys of visitors' tickets, so that a confirmation email
    still queued, or a backup, cannot be read either."""
    tickets = Ticket.objects.filter(pk__in=pks)
    visitor_keys = list(tickets.filter(customer=None).values_list("key_subject", flat=True))
    with transaction.atomic():
        deleted = tickets.delete()[1].get(Ticket._meta.label, 0)
    for key in visitor_keys:
        vault.shred(key)
    return deleted


def _unconfirmed(moment: datetime) -> Q:
    cutoff = moment - timedelta(days=settings.SUPPORT_VISITOR_CONFIRM_DAYS)
    return Q(customer=None, confirmed_at__isnull=True, created_at__lt=cutoff)


def unconfirmed_tickets_delete(*, now: datetime | None = None) -> int:
    """Requests whose writer never confirmed the address are not kept."""
    stale = Ticket.objects.filter(_unconfirmed(now or timezone.now()))
    return _tickets_delete(list(stale.values_list("pk", flat=True)))


def support_records_sweep(*, sweep: Sweep) -> Swept:
    """The data map's sweeper of tickets (SUP-02, RET-05): a ticket whose last
    activity is older than 3 years goes, with its conversation, attachments and
    history; so does a visitor's request never confirmed. Tickets under a
    legal hold stay."""
    due = Ticket.objects.filter(Q(updated_at__lt=sweep.cutoff) | _unconfirmed(sweep.now))
    held = 0
    if sweep.held is not None:
        held = due.filter(sweep.held).count()
        due = due.exclude(sweep.held)
    if sweep.dry_run:
        return Swept(deleted=due.count(), held=held)
    deleted = 0
    while pks := list(due.order_by("pk").values_list("pk", flat=True)[: sweep.chunk_size]):
        deleted += _tickets_delete(pks)
    return Swept(deleted=deleted, held=held)


def _transition(ticket: Ticket, to_status: str, actor: User | None, note: str = "") -> Ticket:
    """Move the ticket on (roamwise.core.states.move), stamping when it was resolved or closed."""
    now = timezone.now()
    changes: dict[str, Any] = {}
    if to_status == TicketStatus.RESOLVED:
        changes["resolved_at"] = now
    elif to_status == TicketStatus.CLOSED:
        changes["closed_at"] = now
        if ticket.resolved_at is None:
            changes["resolved_at"] = now
    elif to_status == TicketStatus.OPEN:
        changes["resolved_at"] = None
    states.move(ticket, to_status, actor=actor, note=note, now=now, **changes)
    return ticket


def ticket_transition(*, ticket: Ticket, to_status: str, actor: User, note: str = "") -> Ticket:
    return _transition(ticket, to_status, actor, note)


def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User) -> Ticket:
    if assignee is not None and not assignee.is_staff:
        raise InvalidTicket(gettext("Tickets are assigned to staff."))
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee, updated_at=timezone.now())
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            note=f"assigned to {assignee.username}" if assignee else "unassigned",
        )
    ticket.refresh_from_db()
    return ticket


def message_post_customer(
    *,
    ticket: Ticket,
    body: str,
    author: User | None,
    channel: str = TicketMessage.Channel.WEB,
    uploads: Sequence[Upload] = (),
    inbound_message_id: str = "",
) -> TicketMessage:
    """The customer (or visitor) writes on their ticket: a waiting or resolved
    ticket opens again."""
    if ticket.status == TicketStatus.CLOSED:
        raise TicketClosed(gettext("This request is closed; please open a new one."))
    if not body.strip() or len(body) > 10_000:
        raise InvalidTicket(gettext("Write a message of up to 10,000 characters."))
    checked = uploads_check(uploads)
    with transaction.atomic():
        message = _add_message(
            ticket=ticket,
            author_kind=TicketMessage.Author.CUSTOMER,
            author=author,
            body=body,
            channel=channel,
            uploads=checked,
            inbound_message_id=inbound_message_id,
        )
        if ticket.status in (TicketStatus.WAITING, TicketStatus.RESOLVED):
            _transition(ticket, TicketStatus.OPEN, author, "customer replied")
    return message


def message_post_staff(
    *, ticket: Ticket, staff: User, body: str, internal: bool = False
) -> TicketMessage:
    """A reply to the customer (emailed to them, the ticket then waits on
    them) or an internal note (staff only)."""
    if not staff.is_staff:
        raise InvalidTicket(gettext("Only staff answer tickets."))
    if not body.strip() or len(body) > 10_000:
        raise InvalidTicket(gettext("Write a message of up to 10,000 characters."))
    if ticket.status == TicketStatus.CLOSED and not internal:
        raise TicketClosed(gettext("This ticket is closed."))
    with transaction.atomic():
        message = _add_message(
            ticket=ticket,
            author_kind=TicketMessage.Author.STAFF,
            author=staff,
            body=body,
            channel=TicketMessage.Channel.WEB,
            internal=internal,
        )
        if not internal:
            Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
                first_response_at=message.created_at
            )
            if ticket.status in (TicketStatus.NEW, TicketStatus.OPEN):
                _transition(ticket, TicketStatus.WAITING, staff, "staff replied")
            _tell_contact(ticket, "support/email/reply", {"reply": message.body})
    ticket.refresh_from_db()
    return message


def _sender_is_contact(ticket: Ticket, sender: str) -> bool:
    sender = sender.strip().lower()
    if ticket.customer_id:
        return EmailAddress.objects.filter(
            user_id=ticket.customer_id, email__iexact=sender, verified=True
        ).exists() or (ticket.customer is not None and ticket.customer.email.lower() == sender)
    return ticket.contact_email_index == blind_index_value(Ticket, "contact_email", sender, "lower")


# What a customer message may hold (message_post_customer); a longer email is cut.
INBOUND_TEXT_KEPT = 10_000


def inbound_email_receive(*, body: bytes, signature: str) -> str:
    """An email sent to a reply address, as the inbound mail provider parsed
    it. Signature first; then the signed reply-to address names the ticket,
    the sender must be the ticket's contact, and a Message-ID seen before is
    answered as a duplicate. Returns the outcome; a forged or foreign address
    stores nothing."""
    try:
        signature_verify(
            body, signature, settings.SUPPORT_INBOUND_SECRET, settings.SUPPORT_INBOUND_TOLERANCE
        )
    except SignatureError as exc:
        raise InboundRejected(str(exc)) from None
    try:
        mail = InboundEmail.model_validate(json_loads(body))
    except (ValueError, PydanticValidationError) as exc:
        raise InvalidTicket(
            gettext("The inbound email is not valid: %(str)s") % {"str": str(exc)[:200]}
        ) from None
    ticket_id = next(
        (
            found
            for address in addresses_in(mail.to, mail.cc)
            if (found := ticket_id_from_address(address)) is not None
        ),
        None,
    )
    if ticket_id is None:
        return "rejected: no valid reply address"
    ticket = Ticket.objects.select_related("customer").filter(public_id=ticket_id).first()
    if ticket is None:
        return "rejected: no valid reply address"
    senders = addresses_in(mail.sender)
    if not senders or not _sender_is_contact(ticket, senders[0]):
        return "rejected: sender is not the ticket's contact"
    if ticket.messages.filter(inbound_message_id=mail.message_id).exists():
        return "duplicate"
    text = strip_quoted(mail.text)
    if not text:
        return "rejected: empty message"
    if len(text) > INBOUND_TEXT_KEPT:  # a long reply is still a reply: kept, cut
        text = text[: INBOUND_TEXT_KEPT - 60].rstrip() + "\n\n[The rest of this email was cut.]"
    uploads = [a.upload() for a in mail.attachments]
    try:
        uploads_check(uploads)
    except AttachmentRejected as exc:
        text += f"\n\n[Attachments not accepted: {exc.message}]"
        uploads = []
    try:
        message_post_customer(
            ticket=ticket,
            body=text,
            author=ticket.customer,
            channel=TicketMessage.Channel.EMAIL,
            uploads=uploads,
            inbound_message_id=mail.message_id,
        )
    except TicketClosed:
        return "rejected: ticket closed"
    except IntegrityError:
        return "duplicate"
    return "threaded"

"""Support over the API: open a ticket (signed in, or as a visitor by email),
read your tickets and their conversation, and reply."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from roamwise.core.api_auth import authenticated_user, session_token_auth
from roamwise.core.middleware import body_limit_raise
from roamwise.core.schemas import ErrorOut
from roamwise.core.uploads import base64_length, json_body_limit
from roamwise.esims import selectors as esims
from roamwise.orders import selectors as orders

from . import selectors, services
from .attachments import Upload
from .errors import AttachmentRejected
from .models import Ticket, TicketMessage

router = Router(tags=["support"])
# Some visible character, and no control characters but tabs and line breaks.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LINE = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
# A subset of what Django's EmailValidator accepts, so that a valid request is never refused.
EMAIL = (
    r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,32}){0,3}"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,12}$"
)
CategoryName = Literal["question", "technical", "suggestion", "complaint", "privacy"]


class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=255, pattern=LINE)
    content_type: str = Field(min_length=1, max_length=100, pattern=LINE)
    # The largest file SUPPORT_ATTACHMENT_MAX_BYTES allows, in base64.
    content_base64: str = Field(
        min_length=1, max_length=base64_length(settings.SUPPORT_ATTACHMENT_MAX_BYTES)
    )


class TicketIn(Schema):
    category: CategoryName
    subject: str = Field(min_length=1, max_length=200, pattern=LINE)
    message: str = Field(min_length=1, max_length=10_000, pattern=TEXT)
    order_id: uuid.UUID | None = None
    esim_id: uuid.UUID | None = None
    attachments: list[AttachmentIn] = Field(
        default_factory=list, max_length=settings.SUPPORT_ATTACHMENT_MAX_COUNT
    )


class VisitorTicketIn(Schema):
    category: CategoryName
    subject: str = Field(min_length=1, max_length=200, pattern=LINE)
    message: str = Field(min_length=1, max_length=10_000, pattern=TEXT)
    email: str = Field(max_length=254, pattern=EMAIL, description="We email a link to confirm it.")


class MessageIn(Schema):
    message: str = Field(min_length=1, max_length=10_000, pattern=TEXT)
    attachments: list[AttachmentIn] = Field(
        default_factory=list, max_length=settings.SUPPORT_ATTACHMENT_MAX_COUNT
    )


class AttachmentOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: uuid.UUID
    author: str
    body: str
    channel: str
    created_at: str
    attachments: list[AttachmentOut]


class TicketOut(Schema):
    id: uuid.UUID
    reference: str
    category: str
    subject: str
    status: str
    created_at: str
    messages: list[MessageOut] | None = None


class VisitorTicketOut(Schema):
    reference: str
    message: str


def _attachments_body_limit() -> int:
    return json_body_limit(
        max_count=settings.SUPPORT_ATTACHMENT_MAX_COUNT,
        max_bytes=settings.SUPPORT_ATTACHMENT_MAX_BYTES,
    )


# The endpoints taking attachments take bodies as large as the attachments the
# spec allows: more than DATA_UPLOAD_MAX_MEMORY_SIZE.
for _view_name in ("api:ticket_create", "api:message_create"):
    body_limit_raise(view_name=_view_name, limit=_attachments_body_limit)


def _uploads(items: list[AttachmentIn]) -> list[Upload]:
    uploads = []
    for item in items:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise AttachmentRejected(
                gettext("%(filename)s: content_base64 is not base64.") % {"filename": item.filename}
            ) from None
        uploads.append(
            Upload(filename=item.filename, content_type=item.content_type, content=content)
        )
    return uploads


def ticket_out(ticket: Ticket, with_messages: bool = False) -> TicketOut:
    messages = None
    if with_messages:
        messages = [
            MessageOut(
                id=m.public_id,
                author=m.author_kind,
                body=m.body,
                channel=m.channel,
                created_at=m.created_at.isoformat(),
                attachments=[
                    AttachmentOut(
                        id=a.public_id,
                        filename=a.filename,
                        content_type=a.content_type,
                        size=a.size,
                    )
                    for a in m.attachments.all()
                ],
            )
            for m in selectors.thread(ticket=ticket)
        ]
    return TicketOut(
        id=ticket.public_id,
        reference=ticket.reference,
        category=ticket.category,
        subject=ticket.title,
        status=ticket.status,
        created_at=ticket.created_at.isoformat(),
        messages=messages,
    )


@router.post(
    "/support/tickets",
    response={
        201: TicketOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=[session_token_auth, django_auth],
    summary="Open a support ticket (SUP-01), about an order or eSIM if you like",
)
def ticket_create(request: HttpRequest, body: TicketIn) -> Status:
    customer = authenticated_user(request)
    order = orders.order_of(customer=customer, public_id=body.order_id) if body.order_id else None
    esim = esims.esim_of(customer=customer, public_id=body.esim_id) if body.esim_id else None
    ticket = services.ticket_open(
        customer=customer,
        category=body.category,
        title=body.subject,
        body=body.message,
        channel=TicketMessage.Channel.API,
        uploads=_uploads(body.attachments),
        order=order,
        esim=esim,
    )
    return Status(201, ticket_out(ticket))


@router.post(
    "/support/visitor-tickets",
    response={202: VisitorTicketOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="Write to support without an account: we email a link to confirm the address, "
    "and the request reaches our team once it is opened. Attach files on the web form.",
)
def visitor_ticket_create(request: HttpRequest, body: VisitorTicketIn) -> Status:
    ticket = services.ticket_open_visitor(
        email=body.email,
        category=body.category,
        title=body.subject,
        body=body.message,
        channel=TicketMessage.Channel.API,
        client_ip=request.META.get("REMOTE_ADDR", ""),
    )
    return Status(
        202,
        VisitorTicketOut(
            reference=ticket.reference,
            message=(
                "We emailed a link to confirm your address; "
                "your request reaches our team once you open it."
            ),
        ),
    )


@router.get(
    "/support/tickets",
    response={200: list[TicketOut], 401: ErrorOut},
    auth=[session_token_auth, django_auth],
    summary="Your support tickets",
)
def ticket_list(request: HttpRequest) -> list[TicketOut]:
    return [ticket_out(t) for t in selectors.tickets_of(customer=authenticated_user(request))[:200]]


def _own_ticket(request: HttpRequest, ticket_id: uuid.UUID) -> Ticket:
    return selectors.ticket_for(public_id=ticket_id, user=authenticated_user(request))


@router.get(
    "/support/tickets/{ticket_id}",
    response={200: TicketOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=[session_token_auth, django_auth],
    summary="One of your tickets, with its conversation",
)
def ticket_detail(request: HttpRequest, ticket_id: uuid.UUID) -> TicketOut:
    return ticket_out(_own_ticket(request, ticket_id), with_messages=True)


@router.post(
    "/support/tickets/{ticket_id}/messages",
    response={
        201: TicketOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    auth=[session_token_auth, django_auth],
    summary="Reply on one of your tickets",
)
def message_create(request: HttpRequest, ticket_id: uuid.UUID, body: MessageIn) -> Status:
    ticket = _own_ticket(request, ticket_id)
    services.message_post_customer(
        ticket=ticket,
        body=body.message,
        author=authenticated_user(request),
        channel=TicketMessage.Channel.API,
        uploads=_uploads(body.attachments),
    )
    ticket.refresh_from_db()
    return Status(201, ticket_out(ticket, with_messages=True))

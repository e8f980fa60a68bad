"""Support tickets: a conversation between a customer (or a visitor who
confirmed their email) and staff, with internal notes, attachments and the
history of its status.

Everything the customer wrote is sealed with the ticket's data key
(``key_subject``): the customer's own key, or for a visitor a key of the
ticket's own, so that erasing either makes the thread unreadable everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from roamwise.core.models import TimeStampedModel, TransitionEvent
from roamwise.notifications.models import KeyHolder
from roamwise.vault.fields import BlindIndexField, EncryptedBinaryField, EncryptedTextField


class Category(models.TextChoices):
    QUESTION = "question", gettext_lazy("Question")
    TECHNICAL = "technical", gettext_lazy("Technical support")
    SUGGESTION = "suggestion", gettext_lazy("Suggestion")
    COMPLAINT = "complaint", gettext_lazy("Complaint")
    PRIVACY = "privacy", gettext_lazy("Privacy")


class TicketStatus(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    OPEN = "open", gettext_lazy("Open")
    WAITING = "waiting", gettext_lazy("Waiting on customer")
    RESOLVED = "resolved", gettext_lazy("Resolved")
    CLOSED = "closed", gettext_lazy("Closed")


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.NEW: {
        TicketStatus.OPEN,
        TicketStatus.WAITING,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    },
    TicketStatus.OPEN: {TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.WAITING: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
    TicketStatus.CLOSED: set(),
}


class Ticket(TimeStampedModel):
    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "status"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = ALLOWED_TRANSITIONS

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="support_tickets",
    )
    # A visitor's address; customers are reached at their account's address.
    contact_email = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    contact_email_index = BlindIndexField(source="contact_email", normalise="lower")
    # Visitors confirm their address before staff see the ticket.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    key_subject = models.UUIDField(editable=False)
    category = models.CharField(max_length=16, choices=Category.choices)
    title = EncryptedTextField(subject="key_holder", row_key="public_id")
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW, db_index=True
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    esim = models.ForeignKey(
        "esims.Esim", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("reply_ticket", "Can reply to tickets and write internal notes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in TicketStatus]),
                name="ticket_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]),
                name="ticket_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(contact_email_index=""),
                name="ticket_has_a_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"ticket {self.reference}"

    @property
    def key_holder(self) -> KeyHolder:
        return KeyHolder(self.key_subject)

    @property
    def reference(self) -> str:
        return self.public_id.hex[:8].upper()

    @property
    def email(self) -> str:
        return self.customer.email if self.customer is not None else self.contact_email

    @property
    def first_response_time(self) -> timedelta | None:
        return self.first_response_at - self.created_at if self.first_response_at else None

    @property
    def resolution_time(self) -> timedelta | None:
        return self.resolved_at - self.created_at if self.resolved_at else None


class TicketMessage(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", gettext_lazy("Customer")
        STAFF = "staff", gettext_lazy("Staff")

    class Channel(models.TextChoices):
        WEB = "web", gettext_lazy("Web")
        API = "api", gettext_lazy("API")
        EMAIL = "email", gettext_lazy("Email")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=16, choices=Author.choices)
    # The staff member who wrote it, or the customer; null for a visitor.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField(subject="ticket.key_holder", row_key="public_id")
    # An internal note: staff only, never shown to the customer.
    internal = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    # The email's Message-ID for replies that came in by email (deduplication).
    inbound_message_id = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "inbound_message_id"],
                condition=~Q(inbound_message_id=""),
                name="ticket_message_inbound_once",
            ),
            models.CheckConstraint(
                condition=Q(internal=False) | Q(author_kind="staff"),
                name="ticket_message_internal_is_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.public_id} on ticket {self.ticket_id}"


class TicketAttachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedTextField(subject="message.ticket.key_holder", row_key="public_id")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = EncryptedBinaryField(subject="message.ticket.key_holder", row_key="public_id")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"attachment {self.public_id}"


class TicketEvent(TransitionEvent):
    """Every status change and assignment, with who made it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} on ticket {self.ticket_id}"


class CannedReply(TimeStampedModel):
    """A prepared answer staff can start a reply from."""

    title = models.CharField(max_length=120, unique=True)
    body = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title

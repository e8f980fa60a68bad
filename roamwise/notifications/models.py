"""Notifications: one row per message, its email in the outbox, preferences.

Message text is sealed with the recipient's data key (``key_subject``: the
customer's public id, or for someone without an account the key of the record
they belong to). Once an email has left, the outbox keeps its metadata only:
the address, subject, bodies and attachments are blanked (ADR 0009).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from roamwise.core.models import TimeStampedModel
from roamwise.vault.fields import EncryptedJSONField, EncryptedTextField

from .kinds import Channel


@dataclass(frozen=True)
class KeyHolder:
    """What the vault's fields seal with: anything that has a ``public_id``."""

    public_id: uuid.UUID


class Notification(TimeStampedModel):
    """A message to one person, whatever channels carry it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Null for someone without an account (a visitor, a parent, staff alerts).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    key_subject = models.UUIDField(editable=False)
    kind = models.CharField(max_length=32, db_index=True)
    template = models.CharField(max_length=200)
    title = EncryptedTextField(subject="key_holder", row_key="public_id")
    body = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    link = models.CharField(max_length=500, blank=True)
    # Shown under the bell; false for email-only messages.
    in_site = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "in_site", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} notification {self.public_id}"

    @property
    def key_holder(self) -> KeyHolder:
        return KeyHolder(self.key_subject)


class OutboundEmail(TimeStampedModel):
    """The outbox: one email, its delivery attempts, and their outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("Queued")
        SENT = "sent", gettext_lazy("Sent")
        FAILED = "failed", gettext_lazy("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email"
    )
    kind = models.CharField(max_length=32, db_index=True)
    template = models.CharField(max_length=200)
    key_subject = models.UUIDField(editable=False)
    # Until sent: everything needed to send. After: blank.
    recipient = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    subject_line = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    text_body = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    html_body = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    headers = EncryptedJSONField(subject="key_holder", row_key="public_id", null=True, blank=True)
    attachments = EncryptedJSONField(
        subject="key_holder", row_key="public_id", null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The Message-ID header: lets an inbound reply be matched to what it answers.
    message_id = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    attachment_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed"]),
                name="outbound_email_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbound_email_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email {self.public_id} ({self.status})"

    @property
    def key_holder(self) -> KeyHolder:
        return KeyHolder(self.key_subject)


class Preference(TimeStampedModel):
    """A customer's choice for one kind on one channel; no row means the default (on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32)
    channel = models.CharField(max_length=16, choices=[(c.value, c.value) for c in Channel])
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} for user {self.user_id}: {self.enabled}"


# --- Campaigns: promotions staff compose and send (USE-02) --------------------


def _marketing_kinds() -> list[tuple[str, str]]:
    from .kinds import KINDS

    return [(k.name, k.label) for k in KINDS.values() if k.is_marketing]


class Campaign(TimeStampedModel):
    """A promotion composed in the back office and sent, in batches, to the
    customers who opted in to marketing when their batch goes out."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, help_text=_("For staff; never sent."))
    kind = models.CharField(
        _("kind"),
        max_length=32,
        choices=_marketing_kinds,
        default="promotions",
        help_text=_("Customers who turned this kind off do not get it."),
    )
    fallback_language = models.CharField(
        _("fallback language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Sent to customers whose language has no message of its own."),
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("send_campaign", "Can send a marketing campaign")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "sending", "sent"]),
                name="campaign_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignMessage(TimeStampedModel):
    """A campaign's subject and body in one language."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("body"), help_text=_("Plain text; links are shown as they are."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="campaign_message_once")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.subject}"


class CampaignRecipient(models.Model):
    """One customer a campaign was sent to. The unique row is what makes a
    retried batch send once: it is written in the transaction that queues the
    email, so a second run finds it and skips the customer."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_receipts"
    )
    notification = models.OneToOneField(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=8)
    sent_at = models.DateTimeField()
    # Set when the campaign's own unsubscribe link was used.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="campaign_recipient_once")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} in campaign {self.campaign_id}"


class CampaignEvent(models.Model):
    """Every step of a campaign, with the staff member who took it (the audit)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.note or self.to_status} on campaign {self.campaign_id}"

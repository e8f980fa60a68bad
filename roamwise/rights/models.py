"""Data-subject requests: access, export, correction, erasure, restriction and
objection, with their deadline, their history and the files that support a
correction (RGT-01..06, RGT-09, CHD-03).

A request is a status column plus transition services (``services.py``): every
transition is a compare-and-set on the old status and writes an event row in
the same transaction. What the requester wrote and their address are sealed
with the request's data key (``key_subject``): the customer's own key for a
customer's request, so erasing the customer makes them unreadable too, or a key
of the request's own for someone without an account.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core.models import TimeStampedModel, TransitionEvent
from roamwise.notifications.models import KeyHolder
from roamwise.vault.fields import EncryptedBinaryField, EncryptedTextField


class RequestKind(models.TextChoices):
    ACCESS = "access", gettext_lazy("See my data (access)")
    EXPORT = "export", gettext_lazy("Download my data (portability)")
    CORRECTION = "correction", gettext_lazy("Correct my data")
    ERASURE = "erasure", gettext_lazy("Delete my data")
    RESTRICTION = "restriction", gettext_lazy("Restrict processing")
    OBJECTION = "objection", gettext_lazy("Object to processing")


class RequesterKind(models.TextChoices):
    CUSTOMER = "customer", gettext_lazy("Customer, signed in")
    NON_CUSTOMER = "non_customer", gettext_lazy("By email, without signing in")
    PARENT = "parent", gettext_lazy("Parent or guardian of a child")
    # Anyone: a teacher, a relative, another customer (CHD-04).
    REPORTER = "reporter", gettext_lazy("Someone reporting a suspected under-13 account")


# Requests about someone else's account: never matched to the requester's own
# account; staff find the account, verify, link it and erase (CHD-03, CHD-04).
ABOUT_A_CHILD = (RequesterKind.PARENT, RequesterKind.REPORTER)


class LinkMethod(models.TextChoices):
    """How staff verified that the account a parent or reporter named is a
    child's before linking it to the request (CHD-04). Recorded with who
    linked it in the request's history."""

    PARENT_PROOF = "parent_proof", gettext_lazy("The parent proved parenthood and the child's age")
    ACCOUNT_CONTENT = (
        "account_content",
        gettext_lazy("The account's own records show the holder is a child"),
    )
    HOLDER_CONFIRMED = (
        "holder_confirmed",
        gettext_lazy("The account holder confirmed their age when asked"),
    )
    OTHER = "other", gettext_lazy("Other checks, described in the note")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", gettext_lazy("Received")
    VERIFYING = "verifying", gettext_lazy("Verifying identity")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    EXTENDED = "extended", gettext_lazy("In progress, deadline extended")
    COMPLETED = "completed", gettext_lazy("Completed")
    REJECTED = "rejected", gettext_lazy("Rejected")
    FAILED = "failed", gettext_lazy("Failed: needs staff")


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    RequestStatus.RECEIVED: {
        RequestStatus.VERIFYING,
        RequestStatus.IN_PROGRESS,
        RequestStatus.REJECTED,
    },
    RequestStatus.VERIFYING: {RequestStatus.IN_PROGRESS, RequestStatus.REJECTED},
    RequestStatus.IN_PROGRESS: {
        RequestStatus.EXTENDED,
        RequestStatus.COMPLETED,
        RequestStatus.REJECTED,
        RequestStatus.FAILED,
    },
    RequestStatus.EXTENDED: {
        RequestStatus.COMPLETED,
        RequestStatus.REJECTED,
        RequestStatus.FAILED,
    },
    # A failed erasure is retried by staff, or answered with reasons.
    RequestStatus.FAILED: {RequestStatus.IN_PROGRESS, RequestStatus.REJECTED},
    RequestStatus.COMPLETED: set(),
    RequestStatus.REJECTED: set(),
}
CLOSED_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REJECTED)
OPEN_STATUSES = tuple(s for s in RequestStatus if s not in CLOSED_STATUSES)


class DataRequest(TimeStampedModel):
    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "status"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = ALLOWED_TRANSITIONS

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED, db_index=True
    )
    requester_kind = models.CharField(max_length=16, choices=RequesterKind.choices)
    # Whose data the request is about: the signed-in customer, the account whose
    # verified address the requester proved to hold, or a parent's child. Null
    # until matched, and again once that account is erased.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_requests",
    )
    key_subject = models.UUIDField(editable=False)
    # Someone without an account (or a parent) is answered at this address.
    contact_email = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    # A parent names their child's account: its username or email address.
    child_identifier = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    details = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    jurisdiction = models.CharField(max_length=16)
    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    first_due_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    extension_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_data_requests",
        limit_choices_to={"is_staff": True},
    )
    # Our answer to the requester (sealed: it may quote their data).
    resolution = EncryptedTextField(subject="key_holder", row_key="public_id", blank=True)
    # What was done, without personal data: an erasure report's counts and
    # what was kept and why, the objections switched on.
    outcome = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A one-time link to an export, for a requester who is not signed in
    # (RGT-09): only the SHA-256 of its token is stored.
    download_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    download_expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        permissions = [
            ("handle_datarequest", "Can handle data-subject requests (privacy officer)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RequestStatus]),
                name="data_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in RequestKind]),
                name="data_request_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(requester_kind__in=[k.value for k in RequesterKind]),
                name="data_request_requester_valid",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("received_at")),
                name="data_request_due_after_receipt",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["completed", "rejected"], completed_at__isnull=False)
                | (~Q(status__in=["completed", "rejected"]) & Q(completed_at__isnull=True)),
                name="data_request_closed_when_completed",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="data_request_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} request {self.reference}"

    @property
    def key_holder(self) -> KeyHolder:
        return KeyHolder(self.key_subject)

    @property
    def reference(self) -> str:
        return "DR-" + self.public_id.hex[:8].upper()

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def is_under_way(self) -> bool:
        """Started by staff and not yet answered: it may be erased, linked, answered."""
        return self.status in (RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED)


class DataRequestEvent(TransitionEvent):
    """Every transition, assignment, extension and reminder of a request, with who made it."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} on request {self.request_id}"

    @property
    def to_status_label(self) -> str:
        """The status moved to, in words ("In progress")."""
        if self.to_status in RequestStatus.values:
            return str(RequestStatus(self.to_status).label)
        return self.to_status


class DataRequestFile(models.Model):
    """A file supporting a correction request, sealed with the request's key."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="files")
    filename = EncryptedTextField(subject="request.key_holder", row_key="public_id")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = EncryptedBinaryField(subject="request.key_holder", row_key="public_id")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"file {self.public_id} of request {self.request_id}"


class DataRequestReminder(models.Model):
    """A reminder sent before a request's deadline: one per level and deadline,
    so that the periodic task may run any number of times (and an extension,
    which moves the deadline, starts the reminders again)."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "days_before", "due_at"], name="data_request_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.days_before} days before {self.due_at:%Y-%m-%d}"

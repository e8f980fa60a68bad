"""The SM-DP+ simulator's own inventory (SGP.22 §3.1.6, Table 6b).

A separate system that happens to share the process: the shop reaches it only
over ES2+ HTTP, and it keeps what an SM-DP+ keeps.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProfileState(models.TextChoices):
    AVAILABLE = "Available"
    ALLOCATED = "Allocated"
    LINKED = "Linked"
    CONFIRMED = "Confirmed"
    RELEASED = "Released"
    DOWNLOADED = "Downloaded"
    INSTALLED = "Installed"
    ERROR = "Error"
    UNAVAILABLE = "Unavailable"


class SmdpProfile(models.Model):
    iccid = models.CharField(max_length=19, unique=True)
    profile_type = models.CharField(max_length=64, db_index=True)
    state = models.CharField(
        max_length=12, choices=ProfileState.choices, default=ProfileState.AVAILABLE
    )
    operator = models.CharField(max_length=64, blank=True)
    eid = models.CharField(max_length=32, blank=True)
    matching_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    confirmation_code_hash = models.CharField(max_length=64, blank=True)
    download_attempts = models.PositiveIntegerField(default=0)
    reserved_by_call = models.CharField(
        max_length=100,
        blank=True,
        help_text="functionCallIdentifier of the DownloadOrder that reserved it.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SM-DP+ profile")
        verbose_name_plural = _("SM-DP+ profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ProfileState.values), name="smdp_profile_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iccid} ({self.state})"


class Es2Call(models.Model):
    """One ES2+ call received, by its requester's functionCallIdentifier, with
    the answer given: the same call again gets the same answer, and never
    reserves a second profile."""

    requester = models.CharField(max_length=100)
    call_id = models.CharField(max_length=200)
    function = models.CharField(max_length=32)
    request_hash = models.CharField(max_length=64)
    answer = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ES2+ call")
        verbose_name_plural = _("ES2+ calls")
        constraints = [
            models.UniqueConstraint(fields=["requester", "call_id"], name="smdp_call_once"),
        ]

    def __str__(self) -> str:
        return f"{self.function} {self.call_id}"


class ProgressNotification(models.Model):
    """One HandleDownloadProgressInfo to deliver to the operator, with retry state."""

    profile = models.ForeignKey(SmdpProfile, on_delete=models.CASCADE, related_name="notifications")
    url = models.URLField(max_length=500)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    # When the next try is due: a sweep resends what a lost job would have sent.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"notification {self.payload.get('notificationPointId')} for {self.profile_id}"

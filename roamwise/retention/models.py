from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class LegalHold(models.Model):
    """A dispute, a legal request or litigation that suspends deletion (RET-07).

    A hold covers one subject's records: every declared model of theirs (no
    ``model``), one model (``model``), or one row (``model`` and ``object_id``).
    Retention sweeps and erasure leave what a hold covers alone until it is
    released.
    """

    class Kind(models.TextChoices):
        DISPUTE = "dispute", gettext_lazy("Payment dispute")
        LEGAL_REQUEST = "legal_request", gettext_lazy("Legal request")
        LITIGATION = "litigation", gettext_lazy("Litigation")
        REGULATOR = "regulator", gettext_lazy("Regulator inquiry")

    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    model = models.CharField(
        max_length=100, blank=True, help_text='A data-map model such as "orders.Order"; blank: all.'
    )
    object_id = models.CharField(max_length=64, blank=True, help_text="One row's primary key.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    reference = models.CharField(max_length=100, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-placed_at"]
        permissions = [("release_legalhold", "Can release a legal hold")]
        constraints = [
            models.CheckConstraint(
                condition=Q(object_id="") | ~Q(model=""), name="legal_hold_row_needs_model"
            )
        ]

    def __str__(self) -> str:
        scope = self.model or "all records"
        return f"{self.get_kind_display()} hold on {scope} of {self.subject_id}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class RetentionRun(models.Model):
    """One run of the retention sweep (RET-06): when, how, and whether it
    changed anything. Its rules say what each did, in counts; no row's
    content is ever copied here."""

    class Trigger(models.TextChoices):
        TASK = "task", gettext_lazy("Nightly task")
        COMMAND = "command", gettext_lazy("Command")

    class Status(models.TextChoices):
        RUNNING = "running", gettext_lazy("Running")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Some rules failed")

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(help_text="Counted what would happen; changed nothing.")
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    # The rules asked for (--rule); blank: every rule.
    selection = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["running", "done", "failed"]),
                name="retention_run_status_valid",
            )
        ]

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "run"
        return f"retention {kind} of {self.started_at:%Y-%m-%d %H:%M}"


class RetentionRunRule(models.Model):
    """What one rule of one run did: counts of rows, never their content."""

    class Action(models.TextChoices):
        DELETE = "delete", gettext_lazy("Delete")
        ANONYMISE = "anonymise", gettext_lazy("Anonymise")
        ERASE = "erase", gettext_lazy("Erase closed accounts")
        KEEP = "keep", gettext_lazy("Keep")

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField()
    model = models.CharField(max_length=100, help_text='A data-map model, e.g. "support.Ticket".')
    action = models.CharField(max_length=10, choices=Action.choices)
    period_days = models.PositiveIntegerField(null=True, blank=True)
    cutoff = models.DateTimeField(null=True, blank=True, help_text="Rows older than this were due.")
    deleted = models.PositiveBigIntegerField(default=0)
    anonymised = models.PositiveBigIntegerField(default=0)
    held = models.PositiveBigIntegerField(default=0, help_text="Due, but kept under a legal hold.")
    failed = models.PositiveBigIntegerField(default=0)
    # The kind of error only (an exception's class): a message could quote a row.
    error = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="retention_rule_once_per_run"),
            models.CheckConstraint(
                condition=Q(action__in=["delete", "anonymise", "erase", "keep"]),
                name="retention_rule_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.action}"

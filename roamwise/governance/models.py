from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core.models import TransitionEvent

# The tables every app may write (the disclosure log, residency, the policy
# in force) live in the kernel, below the apps; they belong to this app.
from roamwise.kernel.models import AppendOnlyQuerySet as AppendOnlyQuerySet
from roamwise.kernel.models import DataResidency as DataResidency
from roamwise.kernel.models import Disclosure as Disclosure
from roamwise.kernel.models import PartnerVetting as PartnerVetting
from roamwise.kernel.models import PolicyDocument as PolicyDocument
from roamwise.kernel.models import PolicyVersion as PolicyVersion
from roamwise.kernel.models import Region as Region

# --- Policy versions, change notices and storage location (POL-01, POL-02, RET-08) ---


class PolicyAcceptance(models.Model):
    """A customer accepting a policy version ahead of its effective date (POL-02).

    Append-only: an acceptance is never edited (the database refuses updates).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances"
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="policy_acceptance_once")
        ]

    def __str__(self) -> str:
        return (
            f"user {self.user_id} accepted policy {self.version_id} at {self.accepted_at:%Y-%m-%d}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("policy acceptances are append-only")
        super().save(*args, **kwargs)


class PolicyNotice(models.Model):
    """That one customer was told about one significant change: the progress
    record of the batched notice job, so a rerun never emails anyone twice."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="notices")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_notices"
    )
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="policy_notice_once")
        ]

    def __str__(self) -> str:
        return f"policy {self.version_id} notice to user {self.user_id}"


# --- The security organisation (SEC-08) ----------------------------------------------
# Who holds the security role, which staff were trained when, and how each processing
# activity's risk was assessed: on record for auditors, every change in the audit trail
# (security.py; back office: security_admin.py).


class SecurityRole(models.Model):
    """A named role of the security organisation and the staff member who holds it."""

    title = models.CharField(max_length=120, help_text="For example: Information security officer.")
    responsibilities = models.TextField(blank=True)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(help_text="Held since.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["title"], name="security_role_title_unique")]

    def __str__(self) -> str:
        return self.title


class StaffTraining(models.Model):
    """A security or privacy course a staff member completed, and when it is due again."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    course = models.CharField(max_length=200)
    completed_on = models.DateField()
    next_due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_due_on"]
        verbose_name = "staff training"
        verbose_name_plural = "staff training"
        constraints = [
            models.CheckConstraint(
                condition=Q(next_due_on__gt=F("completed_on")),
                name="staff_training_due_after_completion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on:%Y-%m-%d})"


class RiskLevel(models.TextChoices):
    LOW = "low", gettext_lazy("Low")
    MEDIUM = "medium", gettext_lazy("Medium")
    HIGH = "high", gettext_lazy("High")


class RiskAssessment(models.Model):
    """The risk of one processing activity, the measures against it, and its reviews."""

    processing_activity = models.CharField(
        max_length=200, help_text="For example: eSIM provisioning through the SM-DP+."
    )
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices)
    measures = models.TextField(help_text="The technical and organisational measures taken.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who reviewed it.",
    )
    reviewed_on = models.DateField()
    next_review_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_review_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_level__in=[r.value for r in RiskLevel]),
                name="risk_assessment_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(next_review_on__gt=F("reviewed_on")),
                name="risk_assessment_review_after_last",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.processing_activity} ({self.get_risk_level_display()})"


# --- Legal requests (SHR-05) and breach response (SEC-06) --------------------------
# Services and selectors: legal_requests.py, incidents.py; back office: response_admin.py.


class LegalRequestStatus(models.TextChoices):
    RECEIVED = "received", gettext_lazy("Received")
    ASSESSED = "assessed", gettext_lazy("Assessed")
    DISCLOSED = "disclosed", gettext_lazy("Disclosed")
    REFUSED = "refused", gettext_lazy("Refused")


LEGAL_REQUEST_TRANSITIONS: dict[str, set[str]] = {
    LegalRequestStatus.RECEIVED: {LegalRequestStatus.ASSESSED},
    LegalRequestStatus.ASSESSED: {LegalRequestStatus.DISCLOSED, LegalRequestStatus.REFUSED},
    LegalRequestStatus.DISCLOSED: set(),
    LegalRequestStatus.REFUSED: set(),
}


class LegalRequest(models.Model):
    """A court order or an authority's request for customer data (SHR-05).

    Records what was asked, on which legal basis, our assessment, the decision,
    and the minimum disclosed: categories and subjects by public id, never the
    data itself (that goes to the authority, not into this table).
    """

    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "status"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = LEGAL_REQUEST_TRANSITIONS

    class Kind(models.TextChoices):
        COURT_ORDER = "court_order", gettext_lazy("Court order")
        LAW_ENFORCEMENT = "law_enforcement", gettext_lazy("Law enforcement request")
        REGULATOR = "regulator", gettext_lazy("Regulator or supervisory authority")
        TAX = "tax", gettext_lazy("Tax authority")
        OTHER = "other", gettext_lazy("Other public authority")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    authority = models.CharField(max_length=200, help_text="The court or authority asking.")
    authority_reference = models.CharField(
        max_length=100, blank=True, help_text="Their case or file number."
    )
    received_at = models.DateTimeField()
    legal_basis_cited = models.TextField(help_text="The law or order the request relies on.")
    scope = models.TextField(help_text="What is asked for, in the authority's words.")
    # An order may forbid telling the customer (no tipping off). Until then,
    # nothing of this request shows in their privacy center, export or
    # erasure report; from then on, all of it does (``shown_to_subject``).
    confidential_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Until when the customer must not learn of this request; blank: no bar.",
    )
    confidentiality_basis = models.TextField(
        blank=True, help_text="The order or law that forbids telling the customer."
    )
    status = models.CharField(
        max_length=16,
        choices=LegalRequestStatus.choices,
        default=LegalRequestStatus.RECEIVED,
        db_index=True,
    )
    # Assessment: is it valid, is it proportionate, did we challenge it?
    is_valid = models.BooleanField(null=True)
    is_proportionate = models.BooleanField(null=True)
    is_challenged = models.BooleanField(default=False)
    assessment = models.TextField(blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Decision: what was disclosed (categories; subjects in LegalRequestSubject) or why not.
    decision = models.TextField(blank=True)
    disclosed_categories = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [("decide_legalrequest", "Can disclose data to an authority or refuse")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in LegalRequestStatus]),
                name="legal_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=LegalRequestStatus.RECEIVED) | Q(assessed_at__isnull=False),
                name="legal_request_assessed_before_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status=LegalRequestStatus.DISCLOSED) | Q(is_valid=True),
                name="legal_request_disclosed_only_if_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.authority}"

    @property
    def reference(self) -> str:
        return f"LR-{str(self.public_id)[:8].upper()}"

    def is_confidential(self, now: datetime | None = None) -> bool:
        return self.confidential_until is not None and self.confidential_until > (
            now or timezone.now()
        )

    @property
    def disclosed_at(self) -> datetime | None:
        return self.decided_at if self.status == LegalRequestStatus.DISCLOSED else None


class LegalRequestSubject(models.Model):
    """One customer whose data a legal request disclosed, by public id."""

    request = models.ForeignKey(LegalRequest, on_delete=models.CASCADE, related_name="subjects")
    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "subject_id"], name="legal_request_subject_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} in {self.request_id}"


class LegalRequestEvent(TransitionEvent):
    """Every step of a legal request, with who took it."""

    request = models.ForeignKey(LegalRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} on legal request {self.request_id}"


class IncidentStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    CONTAINED = "contained", gettext_lazy("Contained")
    CLOSED = "closed", gettext_lazy("Closed")


INCIDENT_TRANSITIONS: dict[str, set[str]] = {
    IncidentStatus.OPEN: {IncidentStatus.CONTAINED, IncidentStatus.CLOSED},
    IncidentStatus.CONTAINED: {IncidentStatus.CLOSED},
    IncidentStatus.CLOSED: set(),
}

# GDPR Art. 33(1): the supervisory authority within 72 hours of becoming aware.
REGULATOR_DEADLINE = timedelta(hours=72)
# Staff are reminded this many hours before that deadline while the
# regulator's notice is not marked sent (SEC-06).
REGULATOR_REMINDER_HOURS = (48, 24, 6)


class Incident(models.Model):
    """A personal-data breach (SEC-06): what happened, what it touched, what we did.

    Holds no customer's data: who is affected is in ``AffectedSubject``, by
    public id. The description, measures and consequences are written for the
    regulator and the affected customers, who both read them.
    """

    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "status"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = INCIDENT_TRANSITIONS

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    detected_at = models.DateTimeField(help_text="When we became aware of the breach.")
    reported_by = models.CharField(
        max_length=200, help_text="Who reported it: a team, a processor, a researcher."
    )
    categories = models.JSONField(default=list, help_text="Data-map categories affected.")
    description = models.TextField(help_text="The nature of the breach.")
    systems = models.TextField(blank=True, help_text="Systems and components involved.")
    containment_notes = models.TextField(blank=True, help_text="Measures taken or proposed.")
    consequences = models.TextField(
        blank=True, help_text="Likely consequences; drafted from the categories when blank."
    )
    # Optional narrowing of the affected-subjects scan.
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    scan_models = models.JSONField(
        default=list, blank=True, help_text="Data-map models to scan; empty: all."
    )
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    affected_scanned_at = models.DateTimeField(null=True, blank=True)
    affected_subjects_count = models.PositiveIntegerField(default=0)
    affected_records_count = models.PositiveBigIntegerField(default=0)
    regulator_notice = models.TextField(blank=True)
    regulator_notified_at = models.DateTimeField(null=True, blank=True)
    customers_notified_at = models.DateTimeField(null=True, blank=True)
    customers_notified_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at"]
        permissions = [("notify_incident", "Can notify the regulator and affected customers")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in IncidentStatus]),
                name="incident_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_start__lte=F("window_end")),
                name="incident_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{str(self.public_id)[:8].upper()}"

    @property
    def regulator_deadline(self) -> datetime:
        return self.detected_at + REGULATOR_DEADLINE


class AffectedSubject(models.Model):
    """A customer whose data an incident touched, found from the data map."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    categories = models.JSONField(default=list, help_text="Their affected categories.")
    records = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "subject_id"], name="affected_subject_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} in incident {self.incident_id}"


class IncidentReminder(models.Model):
    """A reminder of the regulator deadline sent to staff: one per level and
    deadline, so that the periodic job may run any number of times (and a
    corrected detection time, which moves the deadline, starts them again)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reminders")
    hours_before = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "hours_before", "due_at"], name="incident_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.hours_before} h before {self.due_at:%Y-%m-%d %H:%M}"


class IncidentEvent(TransitionEvent):
    """Every step of an incident's response, with who took it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.note or self.to_status} on incident {self.incident_id}"

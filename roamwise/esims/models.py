"""eSIMs as the shop knows them: the profile ordered from the SM-DP+, its
lifecycle on the customer's device, its data bundles, and the record of every
ES2+ call and notification."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Mapping
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core import states
from roamwise.core.models import TimeStampedModel, TransitionEvent
from roamwise.vault.fields import BlindIndexField, EncryptedTextField


class EsimState(models.TextChoices):
    PREPARING = "preparing", gettext_lazy("Preparing")
    READY = "ready", gettext_lazy("Ready to install")
    INSTALLED = "installed", gettext_lazy("Installed")
    ACTIVE = "active", gettext_lazy("Active")
    SUSPENDED = "suspended", gettext_lazy("Suspended")
    EXPIRED = "expired", gettext_lazy("Expired")
    DELETED = "deleted", gettext_lazy("Deleted")
    INSTALL_FAILED = "install_failed", gettext_lazy("Installation failed")
    FAILED = "failed", gettext_lazy("Could not be prepared")


# Every allowed move of an eSIM, and nothing else (STYLE 5).
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    EsimState.PREPARING: {EsimState.READY, EsimState.FAILED, EsimState.DELETED},
    EsimState.READY: {
        EsimState.INSTALLED,
        EsimState.INSTALL_FAILED,
        EsimState.SUSPENDED,
        EsimState.EXPIRED,
        EsimState.DELETED,
    },
    EsimState.INSTALLED: {
        EsimState.ACTIVE,
        EsimState.SUSPENDED,
        EsimState.EXPIRED,
        EsimState.DELETED,
    },
    EsimState.ACTIVE: {EsimState.SUSPENDED, EsimState.EXPIRED, EsimState.DELETED},
    EsimState.SUSPENDED: {
        EsimState.READY,
        EsimState.INSTALLED,
        EsimState.ACTIVE,
        EsimState.EXPIRED,
        EsimState.DELETED,
    },
    EsimState.INSTALL_FAILED: {EsimState.DELETED},
    EsimState.EXPIRED: {EsimState.DELETED},
    EsimState.FAILED: set(),
    EsimState.DELETED: set(),
}
# An eSIM in these states holds no profile: its ICCID may belong to a newer eSIM.
ENDED_STATES = [EsimState.DELETED.value, EsimState.FAILED.value]
# Moves that switch service on or off: recorded as activations and deactivations (SIM-02).
ACTIVATIONS = {EsimState.ACTIVE}
DEACTIVATIONS = {EsimState.SUSPENDED, EsimState.EXPIRED, EsimState.DELETED}


class ProvisionStep(models.TextChoices):
    DOWNLOAD_ORDER = "download_order", gettext_lazy("DownloadOrder")
    CONFIRM_ORDER = "confirm_order", gettext_lazy("ConfirmOrder")
    DONE = "done", gettext_lazy("Done")
    GAVE_UP = "gave_up", gettext_lazy("Gave up")


def new_matching_id() -> str:
    """SGP.22 §4.1.1: upper-case alphanumerics and '-' (compact QR alphanumeric mode)."""
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


class Esim(TimeStampedModel):
    """One eSIM profile bought by a customer; created when its order is paid."""

    # The state machine (roamwise.core.states).
    STATE_FIELD: ClassVar[str] = "state"
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = ALLOWED_TRANSITIONS

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="esims"
    )
    # One order, one profile: the constraint behind "never two profiles".
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="esim")
    profile_type = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=EsimState.choices, default=EsimState.PREPARING)
    iccid = EncryptedTextField(subject="customer", row_key="public_id", blank=True)
    iccid_index = BlindIndexField(source="iccid")
    # The activation code's token: a credential, shown to its owner only.
    matching_id = EncryptedTextField(subject="customer", row_key="public_id")
    smdp_address = models.CharField(max_length=255, blank=True)
    eid = EncryptedTextField(
        subject="customer",
        row_key="public_id",
        blank=True,
        help_text="The device's eSIM chip, as the SM-DP+ reports it at download.",
    )
    provision_step = models.CharField(
        max_length=16, choices=ProvisionStep.choices, default=ProvisionStep.DOWNLOAD_ORDER
    )
    provision_failures = models.PositiveIntegerField(
        default=0, help_text="Failed ES2+ calls in a row; reset by success."
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is provisioning it until then."
    )
    failure_reason = models.CharField(max_length=200, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("eSIM")
        verbose_name_plural = gettext_lazy("eSIMs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=EsimState.values), name="esim_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(provision_step__in=ProvisionStep.values),
                name="esim_provision_step_valid",
            ),
            # No ICCID on two live eSIMs, whatever the workers do. A profile given
            # back to the SM-DP+ (CancelOrder to Available) is handed out again, so
            # a deleted or failed eSIM does not keep its ICCID from the next one.
            models.UniqueConstraint(
                fields=["iccid_index"],
                condition=~Q(iccid_index="") & ~Q(state__in=ENDED_STATES),
                name="esim_iccid_unique_live",
            ),
        ]

    def __str__(self) -> str:
        return f"eSIM {self.public_id}"

    @property
    def activation_code(self) -> str:
        """SGP.22 §4.1: ``1$<SM-DP+ address>$<matching ID>``, as typed by hand."""
        return f"1${self.smdp_address}${self.matching_id}"

    @property
    def qr_payload(self) -> str:
        """§4.1: in a QR code the activation code is prefixed ``LPA:``."""
        return f"LPA:{self.activation_code}"

    @property
    def is_installable(self) -> bool:
        return self.state == EsimState.READY and bool(self.smdp_address)

    @property
    def is_live(self) -> bool:
        return self.state not in (EsimState.DELETED, EsimState.FAILED, EsimState.PREPARING)

    @property
    def can_suspend(self) -> bool:
        return states.can_move(self, EsimState.SUSPENDED)

    @property
    def can_resume(self) -> bool:
        return self.state == EsimState.SUSPENDED

    @property
    def can_delete(self) -> bool:
        return states.can_move(self, EsimState.DELETED)

    @property
    def can_top_up(self) -> bool:
        return self.is_live and self.state != EsimState.EXPIRED


class EsimEvent(TransitionEvent):
    """One move of an eSIM's state, with who caused it (SIM-02)."""

    esim = models.ForeignKey(Esim, on_delete=models.CASCADE, related_name="events")
    actor = models.CharField(max_length=64, help_text="customer, staff:<id>, smdp, network, system")

    class Meta(TransitionEvent.Meta):
        verbose_name = gettext_lazy("eSIM event")
        verbose_name_plural = gettext_lazy("eSIM events")

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} by {self.actor}"

    @property
    def kind(self) -> str:
        if self.to_status in ACTIVATIONS or (
            self.from_status == EsimState.SUSPENDED and self.to_status != EsimState.DELETED
        ):
            return "activation"
        if self.to_status in DEACTIVATIONS:
            return "deactivation"
        return ""


class Es2Attempt(models.Model):
    """One ES2+ call, written before the request leaves (STYLE 8).

    An attempt still ``sending`` after its worker died is as good as one that
    timed out: the SM-DP+ may have acted, so the next try reconciles first.
    """

    class Outcome(models.TextChoices):
        SENDING = "sending", gettext_lazy("Sending")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Failed")
        UNKNOWN = "unknown", gettext_lazy("No answer")

    esim = models.ForeignKey(Esim, on_delete=models.CASCADE, related_name="attempts")
    function = models.CharField(max_length=32)
    call_id = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    status_code = models.CharField(max_length=20, blank=True, help_text="subject/reason")
    message = models.CharField(max_length=200, blank=True)
    retryable = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("ES2+ attempt")
        verbose_name_plural = gettext_lazy("ES2+ attempts")
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.function} {self.call_id}: {self.outcome}"


def new_idempotency_key() -> str:
    return "rw-" + uuid.uuid4().hex


class PartnerCall(models.Model):
    """One change asked of the network partner (suspend, resume, terminate, a
    bundle), written before the request leaves, with the ``Idempotency-Key``
    it is sent with (STYLE 8, ADR 0006).

    An eSIM has at most one call open (``sending`` or ``unknown``) at a time:
    concurrent changes of one eSIM queue behind it, and a call whose answer
    was lost is settled (by asking the line's state, or repeating it with the
    same key) before anything else is asked for that eSIM.
    """

    class Action(models.TextChoices):
        SUSPEND = "suspend", gettext_lazy("Suspend")
        RESUME = "resume", gettext_lazy("Resume")
        TERMINATE = "terminate", gettext_lazy("Terminate")
        BUNDLE_ADD = "bundle_add", gettext_lazy("Add a bundle")

    class Outcome(models.TextChoices):
        SENDING = "sending", gettext_lazy("Sending")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Refused")
        UNKNOWN = "unknown", gettext_lazy("No answer yet")

    OPEN = (Outcome.SENDING, Outcome.UNKNOWN)

    esim = models.ForeignKey(Esim, on_delete=models.CASCADE, related_name="partner_calls")
    bundle = models.ForeignKey(
        "Bundle", on_delete=models.CASCADE, related_name="partner_calls", null=True, blank=True
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    to_state = models.CharField(
        max_length=16, blank=True, help_text="The eSIM's state once the partner acted."
    )
    actor = models.CharField(max_length=64)
    note = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    message = models.CharField(max_length=200, blank=True)
    tries = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(default=timezone.now, help_text="When the latest try left.")
    finished_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["suspend", "resume", "terminate", "bundle_add"]),
                name="partner_call_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["sending", "succeeded", "failed", "unknown"]),
                name="partner_call_outcome_valid",
            ),
            # One change at the network at a time per eSIM, whatever the workers do.
            models.UniqueConstraint(
                fields=["esim"],
                condition=Q(outcome__in=["sending", "unknown"]),
                name="partner_call_one_open_per_esim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.idempotency_key}: {self.outcome}"


class ProfileStock(models.Model):
    """A profile of the operator's own batch at the SM-DP+, not held by any eSIM.

    DownloadOrder asks for one of these by ICCID (SGP.22 §5.3.1), so that a call
    whose answer was lost can be repeated safely: "already in use" then means
    our lost call reserved it (ADR 0006). A row leaves when an eSIM takes the
    ICCID and comes back when the profile is given back to the SM-DP+.
    """

    iccid = models.CharField(max_length=19, unique=True, help_text="19 digits, no 'F' pad.")
    profile_type = models.CharField(max_length=64)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["profile_type", "id"], name="esims_stock_type_idx")]

    def __str__(self) -> str:
        return f"{self.iccid} ({self.profile_type})"


class ProgressReport(models.Model):
    """One HandleDownloadProgressInfo received, kept to answer repeats idempotently."""

    requester = models.CharField(max_length=100)
    call_id = models.CharField(max_length=100)
    esim = models.ForeignKey(
        Esim, on_delete=models.CASCADE, related_name="progress_reports", null=True
    )
    point = models.PositiveIntegerField()
    status = models.CharField(max_length=24)
    status_code = models.CharField(max_length=20, blank=True)
    # SHA-256 of the body as parsed: a repeat must be the same notification.
    body_hash = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "call_id"], name="progress_report_once"),
        ]

    def __str__(self) -> str:
        return f"point {self.point}: {self.status}"


# Plans count data in binary megabytes: 5 GB is 5,120 MB (catalog.Plan.data_label).
BYTES_PER_MB = 1024 * 1024


class BundleState(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", gettext_lazy("Awaiting payment")
    PENDING = "pending", gettext_lazy("Being added")
    ACTIVE = "active", gettext_lazy("Active")
    EXHAUSTED = "exhausted", gettext_lazy("Used up")
    EXPIRED = "expired", gettext_lazy("Expired")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


class Bundle(TimeStampedModel):
    """A data allowance on an eSIM: the plan it came with, and each top-up."""

    State = BundleState

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    esim = models.ForeignKey(Esim, on_delete=models.CASCADE, related_name="bundles")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="bundle")
    plan = models.ForeignKey("catalog.Plan", on_delete=models.PROTECT, related_name="+")
    data_mb = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    validity_days = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=16, choices=BundleState.choices, default=BundleState.AWAITING_PAYMENT
    )
    network_attempts = models.PositiveIntegerField(default=0)
    network_added_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    # Validity runs from the eSIM's first traffic, or from the moment a top-up
    # reaches an eSIM already in use (ADR 0007).
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_bytes = models.BigIntegerField(default=0)
    # Each alert goes once per bundle (SIM-03).
    alerted_low_at = models.DateTimeField(null=True, blank=True)
    alerted_used_up_at = models.DateTimeField(null=True, blank=True)
    alerted_expiry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=BundleState.values), name="bundle_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} on {self.esim_id}"

    @property
    def data_bytes(self) -> int | None:
        return None if self.data_mb is None else self.data_mb * BYTES_PER_MB

    @property
    def remaining_bytes(self) -> int | None:
        if self.data_bytes is None:
            return None
        return max(0, self.data_bytes - self.used_bytes)

    @property
    def used_percent(self) -> int:
        if not self.data_bytes:
            return 0
        return min(100, self.used_bytes * 100 // self.data_bytes)

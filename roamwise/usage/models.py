"""Usage records from network partners, and the partners themselves.

``UsageRecord`` is the volume table: on PostgreSQL it is partitioned by the
month of the session's start (migration 0001), so that the 12-month retention
(RET-02) drops whole partitions. ``UsageRecordKey`` is the small, unpartitioned
table that makes ingest idempotent on (partner, record id): PostgreSQL cannot
enforce a unique key on a partitioned table without the partition column, and
a partner's record id must be unique whatever month it claims.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core.models import TimeStampedModel

# Keys look like "rwp_<48 hex>"; only their SHA-256 is stored.
KEY_PREFIX = "rwp_"


def partner_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def partner_key_new() -> str:
    return KEY_PREFIX + secrets.token_hex(24)


class Alert:
    """The usage alerts a bundle can raise, once each (USE-03)."""

    LOW_DATA = "low_data"
    DATA_USED_UP = "data_used_up"
    EXPIRY_SOON = "expiry_soon"


class Partner(TimeStampedModel):
    """A mobile network that carries Roamwise lines and reports their usage."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        max_length=12, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    iccid_prefixes = models.CharField(
        max_length=200,
        help_text=(
            "Space-separated ICCID prefixes (issuer identification numbers) of the lines this "
            "partner carries. It may report usage for those lines only."
        ),
    )
    requests_per_minute = models.PositiveIntegerField(default=120)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(requests_per_minute__gte=1), name="usage_partner_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(self.iccid_prefixes.split())

    def carries(self, iccid: str) -> bool:
        return iccid.startswith(self.prefixes)

    def set_key(self, key: str) -> None:
        self.key_hash = partner_key_hash(key)
        self.key_hint = key[: len(KEY_PREFIX) + 4]


class UsageRecordKey(models.Model):
    """One row per (partner, record id) ever accepted: the idempotency key."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    record_id = models.CharField(max_length=64)
    esim = models.ForeignKey(
        "esims.Esim",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # Kept so that retention can drop keys together with their records.
    session_start = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "record_id"], name="usage_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.record_id}"


class UsageRecord(models.Model):
    """A data session as the network reports it.

    The cell and location area a partner may send are dropped on arrival: no
    declared purpose needs them. ``esim`` and ``partner`` carry no database
    constraint: ingest resolves both before it writes, and a foreign-key check
    per row would halve the bulk insert rate (ADR 0007).
    """

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    record_id = models.CharField(max_length=64)
    esim = models.ForeignKey(
        "esims.Esim",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="usage_records",
    )
    session_start = models.DateTimeField()
    session_end = models.DateTimeField()
    bytes_up = models.BigIntegerField()
    bytes_down = models.BigIntegerField()
    visited_network = models.CharField(max_length=6, help_text="MCC-MNC, e.g. 20801.")

    class Meta:
        indexes = [models.Index(fields=["esim", "session_start"], name="usage_esim_time")]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.bytes_total} bytes)"

    @property
    def bytes_total(self) -> int:
        return self.bytes_up + self.bytes_down


class IngestSource(models.TextChoices):
    API = "api", gettext_lazy("API batch")
    FILE = "file", gettext_lazy("File")


class IngestBatch(models.Model):
    """What one batch or one file brought: the monitoring log (SIM-05).

    A file import resumes from ``lines_done`` after an interruption: its row is
    updated in the same transaction as the records of each chunk.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="batches")
    source = models.CharField(max_length=8, choices=IngestSource.choices)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    lines_done = models.PositiveBigIntegerField(default=0)
    accepted = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("ingest batch")
        verbose_name_plural = gettext_lazy("ingest batches")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=IngestSource.values), name="usage_batch_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.source} {self.started_at:%Y-%m-%d %H:%M}"

from __future__ import annotations

from django.db import models


class DataKey(models.Model):
    """One data subject's AES-256 key, wrapped by a key-encryption key.

    Lives in the separate key-store database (alias ``vault``), never in the
    primary database, so a backup of the primary holds ciphertext only; and
    deleting this row (crypto-shredding) makes every copy unreadable.
    """

    subject_id = models.UUIDField(primary_key=True, help_text="The subject's public id.")
    wrapped_key = models.BinaryField()
    kek_version = models.PositiveIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of {self.subject_id} (KEK v{self.kek_version})"


class Tombstone(models.Model):
    """An erased data subject: their public id and when, nothing else (SEC-05).

    One copy lives in the key store (alias ``vault``) and one in the primary
    database, each written explicitly with ``using``: restoring either
    database from a backup leaves the other's list intact, and
    ``manage.py restore_tombstones`` re-applies erasure to every subject a
    restore brought back (ADR 0010).
    """

    subject_id = models.UUIDField(primary_key=True, help_text="The erased subject's public id.")
    erased_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"tombstone of {self.subject_id} ({self.erased_at:%Y-%m-%d})"


class AuditAnchor(models.Model):
    """A signed copy of the audit chain's head, kept in the key store (SEC-04).

    The staff access log and its head live in the primary database; whoever
    can cut its newest rows there and move the head back (an old, genuinely
    sealed head included) cannot reach this copy. ``audit_verify`` checks
    that the chain still holds every anchored event with the anchored hash
    (ADR 0004). Rows are only ever added, by the periodic ``audit_anchor``.
    """

    event_id = models.BigIntegerField(help_text="The newest audit event when anchored.")
    chain_hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64, help_text="HMAC of id and hash with the chain key.")
    anchored_at = models.DateTimeField()

    class Meta:
        ordering = ["-event_id", "-id"]

    def __str__(self) -> str:
        return f"audit chain anchored at event {self.event_id}"

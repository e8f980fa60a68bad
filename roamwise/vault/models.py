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

from __future__ import annotations

import hashlib
import hmac
import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.vault.keyring import audit_chain_key


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValueError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")


class AccessEvent(models.Model):
    """One staff read or change of a customer's personal data (SEC-04).

    Append-only and hash-chained: each row stores the hash of the row before,
    so an edited, deleted or reordered row breaks the chain (``audit_verify``).
    It references people by id; it copies none of their data.
    """

    class Action(models.TextChoices):
        VIEW = "view", gettext_lazy("Viewed")
        LIST = "list", gettext_lazy("Listed")
        CHANGE = "change", gettext_lazy("Changed")
        CREATE = "create", gettext_lazy("Created")
        DELETE = "delete", gettext_lazy("Deleted")
        EXPORT = "export", gettext_lazy("Exported")

    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(help_text="The staff user's id.")
    actor_role = models.CharField(max_length=64)
    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    fields = models.JSONField(default=list)
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        permissions = [
            ("verify_chain", "Can verify the audit chain"),
            ("view_records_of_processing", "Can see the records of processing"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_role} {self.action} {self.object_type}"
        )

    def save(self, *args: object, **kwargs: object) -> None:
        # Append-only: a row is written once, by audit.services, never updated.
        if not self._state.adding:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")

    def content(self) -> dict:
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "subject_id": str(self.subject_id),
            "object_type": self.object_type,
            "object_id": self.object_id,
            "fields": list(self.fields),
            "action": self.action,
            "reason": self.reason,
            "request_id": self.request_id,
        }

    def compute_hash(self) -> str:
        # Keyed (HMAC): someone who can write to the database but does not hold
        # the keyring cannot forge a consistent chain.
        canonical = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        message = (self.previous_hash + canonical).encode()
        return hmac.new(audit_chain_key(), message, hashlib.sha256).hexdigest()


class ChainHead(models.Model):
    """The newest hash of the chain: one row, locked to append in order.

    It also shows when rows were cut from the end of the chain. Its start is
    where the chain now begins once retention has removed its oldest rows
    (6 years): the last removed event and its hash, sealed with the chain key
    so that cutting more from the start cannot go unnoticed either.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    start_after_id = models.BigIntegerField(default=0)
    start_hash = models.CharField(max_length=64, default="0" * 64)
    start_seal = models.CharField(max_length=64, blank=True)
    # The end, sealed like the start: moving the head back over rows cut from
    # the end needs the chain key (an old head replayed whole is caught by the
    # anchors kept outside these tables, vault.AuditAnchor).
    head_seal = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head at event {self.last_event_id}"

    @staticmethod
    def seal_head(event_id: int, head_hash: str) -> str:
        message = f"chain-head:{event_id}:{head_hash}".encode()
        return hmac.new(audit_chain_key(), message, hashlib.sha256).hexdigest()

    @staticmethod
    def seal_start(after_id: int, start_hash: str) -> str:
        message = f"chain-start:{after_id}:{start_hash}".encode()
        return hmac.new(audit_chain_key(), message, hashlib.sha256).hexdigest()

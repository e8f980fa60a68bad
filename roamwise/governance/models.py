from __future__ import annotations

from django.db import models
from django.utils import timezone


class Disclosure(models.Model):
    """One sending of a customer's data to a third party, at category level (SHR-03).

    Says who received what kind of data, why and when; never the data itself.
    """

    subject_id = models.UUIDField(db_index=True, help_text="The customer's public id.")
    recipient = models.CharField(max_length=32, help_text="A recipient of the data map.")
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=32)
    reference = models.CharField(max_length=100, blank=True, help_text="e.g. an order id")
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} to {self.recipient}: {', '.join(self.categories)}"

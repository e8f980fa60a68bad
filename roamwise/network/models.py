"""The network partner simulator's own records.

A separate system that happens to share the process: the shop reaches it only
over HTTP, and it keeps what a mobile network keeps about a line: its state
and the data bundles put on it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class NetworkSubscription(models.Model):
    """One line on the network, known by its SIM's ICCID (19 digits, no 'F' pad)."""

    iccid = models.CharField(max_length=19, unique=True)
    state = models.CharField(
        max_length=10, choices=SubscriptionState.choices, default=SubscriptionState.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SubscriptionState.values),
                name="network_subscription_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iccid} ({self.state})"


class NetworkBundle(models.Model):
    """A data bundle added to a line; the shop's reference makes a repeat harmless."""

    subscription = models.ForeignKey(
        NetworkSubscription, on_delete=models.CASCADE, related_name="bundles"
    )
    reference = models.CharField(max_length=64, unique=True)
    data_mb = models.PositiveIntegerField(null=True, blank=True)  # null: unlimited
    validity_days = models.PositiveSmallIntegerField()
    # Where the bundle works: space-separated ISO 3166-1 codes; empty: anywhere.
    coverage = models.CharField(max_length=1000, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(data_mb__isnull=True) | Q(data_mb__gt=0),
                name="network_bundle_data_positive_or_unlimited",
            ),
            models.CheckConstraint(
                condition=Q(validity_days__gte=1, validity_days__lte=3650),
                name="network_bundle_validity_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class NetworkRequest(models.Model):
    """A request the shop marked with an ``Idempotency-Key``, and the answer it got.

    The same key again is answered the same without acting again, as a real
    partner's provisioning API does, so that the shop can repeat a call whose
    answer it lost. ``fingerprint`` is what was asked (action, line, body): a
    key reused for another request is refused.
    """

    key = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key}: {self.status}"

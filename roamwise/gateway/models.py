"""The simulated payment processor's own records.

It is a separate system that happens to share the process: Roamwise talks to
it only over HTTP, and it keeps what a processor keeps, never a full card
number (brand, last four digits and expiry only).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone


def _session_id() -> str:
    return "cs_" + secrets.token_hex(12)


class GatewaySession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CHALLENGED = "challenged", "3-D Secure challenge"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=40, default=_session_id)
    merchant_reference = models.CharField(max_length=100)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    success_url = models.URLField(max_length=500)
    cancel_url = models.URLField(max_length=500)
    webhook_url = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    failure_code = models.CharField(max_length=40, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class WebhookDelivery(models.Model):
    """One event to deliver to the merchant, with its retry state."""

    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    session = models.ForeignKey(GatewaySession, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    # When the next try is due: a sweep resends what a lost job would have sent.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class GatewayRefund(models.Model):
    """A refund made; the merchant's reference makes a repeated request harmless."""

    refund_id = models.CharField(max_length=40, unique=True)
    session = models.ForeignKey(GatewaySession, on_delete=models.CASCADE, related_name="refunds")
    reference = models.CharField(max_length=64, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "reference"],
                condition=~models.Q(reference=""),
                name="gateway_refund_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return self.refund_id

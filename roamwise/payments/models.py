from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from roamwise.core.models import TimeStampedModel


class Payment(TimeStampedModel):
    """One attempt to pay an order at a processor (ORD-03).

    Holds the processor's references and what a receipt shows of the card:
    brand, last four digits, expiry. Never a card number or a security code.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Failed")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    processor = models.CharField(max_length=16)
    processor_ref = models.CharField(max_length=100, help_text="The checkout session id.")
    payment_ref = models.CharField(
        max_length=100, blank=True, help_text="e.g. Stripe's PaymentIntent."
    )
    checkout_url = models.URLField(max_length=500, blank=True, help_text="The hosted page.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ("add", "change", "view")
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "processor_ref"], name="payment_ref_unique"
            ),
            models.CheckConstraint(
                condition=Q(card_last4="") | Q(card_last4__regex=r"^[0-9]{4}$"),
                name="payment_card_last4_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.processor} {self.processor_ref}: {self.status}"


class WebhookEvent(models.Model):
    """Every processor event received, once: the unique key deduplicates."""

    processor = models.CharField(max_length=16)
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=60)
    outcome = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["processor", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.processor} {self.event_type} {self.event_id}"

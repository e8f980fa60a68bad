from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierPackage(models.Model):
    """A package of a supplier's catalogue, as ``supplier_sync`` last saw it.

    New packages arrive inactive: staff review them before a plan uses them.
    """

    class Coverage(models.TextChoices):
        LOCAL = "local", _("One country")
        REGIONAL = "regional", _("Region")
        GLOBAL = "global", _("Global")

    supplier = models.CharField(max_length=32)
    package_id = models.CharField(max_length=128)
    title = models.CharField(max_length=200, blank=True)
    coverage = models.CharField(max_length=16, choices=Coverage.choices)
    region = models.CharField(max_length=64, blank=True)
    countries = models.JSONField(default=list)  # ISO 3166-1 alpha-2 codes
    data_mb = models.PositiveIntegerField()  # 0 when unlimited
    unlimited = models.BooleanField(default=False)
    fair_use = models.CharField(max_length=300, blank=True)
    validity_days = models.PositiveIntegerField()
    networks = models.JSONField(default=list)
    top_up = models.BooleanField(default=False)
    wholesale_amount = models.DecimalField(max_digits=12, decimal_places=4)
    wholesale_currency = models.CharField(max_length=3)
    active = models.BooleanField(default=False)
    # Still in the supplier's catalogue at the last sync; a withdrawn one is kept
    # (plans may point at it) and reported.
    listed = models.BooleanField(default=True)
    plan = models.ForeignKey(
        "catalog.Plan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supplier_packages",
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "package_id"], name="supplier_package_once"
            ),
            models.CheckConstraint(
                condition=models.Q(wholesale_amount__gte=0),
                name="supplier_package_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier}:{self.package_id}"


class Allocation(models.Model):
    """One order placed at a supplier, by our transaction id, and the profile it
    yielded once allocated (at once, by webhook or by polling)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    supplier = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=128, blank=True)
    package_id = models.CharField(max_length=128)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    iccid = models.CharField(max_length=22, blank=True)
    smdp_address = models.CharField(max_length=255, blank=True)
    matching_id = models.CharField(max_length=255, blank=True)
    cost_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "failed"]),
                name="allocation_status_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier}:{self.transaction_id}"


class WebhookReceipt(models.Model):
    """A supplier notification already handled: a repeat is answered 2xx and ignored."""

    supplier = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "event_id"], name="supplier_webhook_once")
        ]

    def __str__(self) -> str:
        return f"{self.supplier}:{self.kind}:{self.event_id}"

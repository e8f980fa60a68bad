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
    # The fastest network generation the supplier states: "5g", "4g", or "" (not said).
    network_generation = models.CharField(max_length=2, blank=True)
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


class PlanSource(models.Model):
    """Where a plan's eSIMs come from, in order of preference (``rank``, lowest
    first): over ES2+ with a profile type, or a wholesaler's package. A plan
    without sources is supplied over ES2+ with its own profile type, as before
    (ADR 0020)."""

    plan = models.ForeignKey("catalog.Plan", on_delete=models.CASCADE, related_name="sources")
    rank = models.PositiveSmallIntegerField(default=1)
    # Exactly one of the two: an SM-DP+ profile type, or a supplier's package.
    profile_type = models.CharField(max_length=64, blank=True)
    package = models.ForeignKey(
        SupplierPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )

    class Meta:
        ordering = ["plan", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "rank"], name="plan_source_rank_once"),
            models.CheckConstraint(
                condition=(models.Q(package__isnull=True) & ~models.Q(profile_type=""))
                | (models.Q(package__isnull=False) & models.Q(profile_type="")),
                name="plan_source_es2plus_or_package",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.rank}: {self.describe()}"

    @property
    def is_es2plus(self) -> bool:
        return self.package_id is None

    def describe(self) -> str:
        if self.package is None:
            return f"ES2+ ({self.profile_type})"
        return f"{self.package.supplier} {self.package.package_id}"


class Allocation(models.Model):
    """One order placed at a supplier, by our transaction id, and the profile it
    yielded once allocated (at once, by webhook or by polling)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Disposition(models.TextChoices):
        """What became of it for its order (failover, ADR 0020)."""

        CURRENT = "current", _("The order's current source")
        FULFILLED = "fulfilled", _("Its profile is the order's eSIM")
        # The order moved on to the next source while this one's answer was unknown.
        ABANDONED = "abandoned", _("Abandoned for the next source")
        CANCELLED = "cancelled", _("Extra profile, cancelled at the supplier")
        KEPT = "kept", _("Extra profile, kept unassigned")

    supplier = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=128, blank=True)
    package_id = models.CharField(max_length=128)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    source = models.ForeignKey(
        PlanSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="allocations"
    )
    disposition = models.CharField(
        max_length=16, choices=Disposition.choices, default=Disposition.CURRENT
    )
    iccid = models.CharField(max_length=22, blank=True)
    smdp_address = models.CharField(max_length=255, blank=True)
    matching_id = models.CharField(max_length=255, blank=True)
    cost_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    # Usage the supplier reported for the profile once it is an order's eSIM
    # (ADR 0024): data used so far, as already charged to the eSIM's bundles,
    # and when the supplier last told us (the freshness shown to the customer).
    usage_used_bytes = models.BigIntegerField(null=True, blank=True)
    usage_read_at = models.DateTimeField(null=True, blank=True)
    # Not asked for usage before this: the supplier's cache, or its 429 back-off.
    usage_poll_after = models.DateTimeField(null=True, blank=True)
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


class SupplierTopUp(models.Model):
    """A paid top-up of a wholesaler's eSIM, placed at its supplier under our
    transaction id (written before the call, ADR 0024)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Added at the supplier")
        FAILED = "failed", _("Refused by the supplier")

    supplier = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64, unique=True)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="supplier_topup"
    )
    package_id = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=128, blank=True)
    cost_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.supplier}:{self.transaction_id}"


class SupplierCredit(models.Model):
    """Our prepaid credit at a wholesaler, as last read (ADR 0024)."""

    supplier = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    currency = models.CharField(max_length=3)
    read_at = models.DateTimeField()
    # Staff were told it is below its floor; cleared once it is above again.
    low_alerted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.supplier}: {self.amount} {self.currency}"

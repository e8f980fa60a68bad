"""First-party analytics: raw events for 90 days, anonymous daily counts after.

A raw event holds no IP address (the country only), no User-Agent and no
account: its visitor id is a keyed hash of the visitor that changes every day,
so events cannot be joined across days. The nightly aggregation turns each
day into counts with no identifier at all (USE-04, RET-04).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class Event(models.Model):
    class Kind(models.TextChoices):
        PAGEVIEW = "pageview", gettext_lazy("Page view")
        CLICK = "click", gettext_lazy("Click")
        DWELL = "dwell", gettext_lazy("Time on page")

    class Step(models.TextChoices):
        NONE = "", gettext_lazy("None")
        DESTINATION = "destination", gettext_lazy("Destination")
        PLAN = "plan", gettext_lazy("Plan")
        CHECKOUT = "checkout", gettext_lazy("Checkout")
        PAID = "paid", gettext_lazy("Paid")

    visitor = models.CharField(max_length=32, db_index=True, help_text="Rotates daily.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    path = models.CharField(max_length=200, help_text="Without query string; ids replaced.")
    target = models.CharField(max_length=100, blank=True)
    step = models.CharField(max_length=12, choices=Step.choices, blank=True)
    destination = models.CharField(max_length=16, blank=True, help_text="A destination code.")
    dwell_ms = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["pageview", "click", "dwell"]), name="analytics_event_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.kind} {self.path}"


class DailyCount(models.Model):
    """One anonymous number: ``metric`` (and ``key``, e.g. a destination) on ``day``."""

    day = models.DateField()
    metric = models.CharField(max_length=32)
    key = models.CharField(max_length=32, blank=True)
    count = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "metric", "key"], name="daily_count_unique")
        ]
        indexes = [models.Index(fields=["metric", "day"], name="daily_count_metric_day")]
        permissions = [("view_dashboard", "Can see the analytics dashboard")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"

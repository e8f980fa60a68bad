"""Orders paid, read from the orders when Prometheus scrapes."""

from __future__ import annotations

from django.db.models import Count

from roamwise.core.metrics import Reading, gauge

from .models import Order


@gauge(
    "roamwise_orders_paid",
    "Orders paid, among those kept in the records, by kind: it grows with each sale "
    "(use increase() over a window).",
    ("kind",),
)
def orders_paid() -> Reading:
    counts = dict(
        Order.objects.filter(paid_at__isnull=False)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return [((kind,), counts.get(kind, 0)) for kind in Order.Kind.values]

"""Privacy requests against their deadlines, read when Prometheus scrapes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from roamwise.core.metrics import Reading, gauge

from .models import OPEN_STATUSES, DataRequest

NEAR = timedelta(days=7)


@gauge(
    "roamwise_rights_requests_open",
    "Privacy requests not yet answered, by how near their legal deadline is.",
    ("due",),
)
def rights_requests_open() -> Reading:
    now = timezone.now()
    open_requests = DataRequest.objects.filter(status__in=OPEN_STATUSES)
    overdue = open_requests.filter(due_at__lt=now).count()
    near = open_requests.filter(due_at__gte=now, due_at__lt=now + NEAR).count()
    later = open_requests.filter(due_at__gte=now + NEAR).count()
    return [(("overdue",), overdue), (("within_7_days",), near), (("later",), later)]

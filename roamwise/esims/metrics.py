"""From payment to QR code, and ES2+ errors: read from the eSIMs and the ES2+
attempts of the last hour when Prometheus scrapes."""

from __future__ import annotations

from datetime import timedelta
from statistics import quantiles

from django.db.models import Count
from django.utils import timezone

from roamwise.core.metrics import Reading, gauge

from .models import Es2Attempt
from .selectors import paid_to_qr_seconds

WINDOW = timedelta(hours=1)


@gauge(
    "roamwise_paid_to_qr_seconds",
    "Seconds from payment to the QR code being ready, for the eSIMs ready in the last "
    "hour: median, 99th percentile, and how many.",
    ("quantile",),
)
def paid_to_qr() -> Reading:
    since = timezone.now() - WINDOW
    seconds = sorted(max(s, 0.0) for s in paid_to_qr_seconds(since=since))
    if not seconds:
        return [(("count",), 0)]
    if len(seconds) == 1:
        median = p99 = seconds[0]
    else:
        cuts = quantiles(seconds, n=100, method="inclusive")
        median, p99 = cuts[49], cuts[98]
    return [(("0.5",), median), (("0.99",), p99), (("count",), len(seconds))]


@gauge(
    "roamwise_es2plus_errors",
    "ES2+ calls the SM-DP+ answered with an error in the last hour, by function and "
    "status code (subject/reason).",
    ("function", "code"),
)
def es2plus_errors() -> Reading:
    since = timezone.now() - WINDOW
    rows = (
        Es2Attempt.objects.filter(started_at__gte=since, outcome=Es2Attempt.Outcome.FAILED)
        .values_list("function", "status_code")
        .annotate(n=Count("pk"))
    )
    return [((function, code or "none"), n) for function, code, n in rows]

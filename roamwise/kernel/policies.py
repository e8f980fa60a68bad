"""Which privacy policy is in force (POL-01): what consent records and the
cookie policy name. Publishing and notices are governance's."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import PolicyVersion


def policies_published() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(published_at__isnull=False)


def policy_in_force(*, now: datetime | None = None) -> PolicyVersion | None:
    moment = now or timezone.now()
    return (
        policies_published()
        .filter(published_at__lte=moment, effective_at__lte=moment)
        .order_by("-effective_at", "-id")
        .first()
    )


def policy_version_label(*, now: datetime | None = None) -> str:
    """The label of the version in force; the setting only until one is published."""
    version = policy_in_force(now=now)
    return version.version if version else str(settings.PRIVACY_POLICY_VERSION)

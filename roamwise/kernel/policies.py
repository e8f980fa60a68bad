"""Which version of a policy document is in force (POL-01): the privacy
policy that consent records and the cookie policy name, the terms of sale a
checkout records. Publishing and notices are governance's."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import PolicyDocument, PolicyVersion


def policies_published(document: str = PolicyDocument.PRIVACY) -> QuerySet[PolicyVersion]:
    """The published versions of ``document`` (the privacy policy unless told)."""
    return PolicyVersion.objects.filter(document=document, published_at__isnull=False)


def policy_in_force(
    *, now: datetime | None = None, document: str = PolicyDocument.PRIVACY
) -> PolicyVersion | None:
    """The version of ``document`` (the privacy policy unless told) in force now."""
    moment = now or timezone.now()
    return (
        policies_published(document)
        .filter(published_at__lte=moment, effective_at__lte=moment)
        .order_by("-effective_at", "-id")
        .first()
    )


def policy_version_label(*, now: datetime | None = None) -> str:
    """The label of the version in force; the setting only until one is published."""
    version = policy_in_force(now=now)
    return version.version if version else str(settings.PRIVACY_POLICY_VERSION)


def terms_version_label(*, now: datetime | None = None) -> str:
    """The label of the terms of sale in force; the setting only until one is published."""
    version = policy_in_force(now=now, document=PolicyDocument.TERMS)
    return version.version if version else str(settings.TERMS_OF_SALE_VERSION)

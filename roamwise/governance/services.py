"""Policy versions and change notices (POL-01, POL-02). The disclosure log and
residency, which every app writes, are the kernel's (``roamwise.kernel``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.accounts.selectors import customers_reachable
from roamwise.core.tasks import enqueue_on_commit
from roamwise.kernel.errors import PolicyError

from .models import PolicyAcceptance, PolicyDocument, PolicyNotice, PolicyVersion
from .tasks import send_policy_notices as send_policy_notices_task

# --- Policy versions and change notices (POL-01, POL-02) -------------------------

POLICY_DIRECTORY = Path(__file__).resolve().parent / "policies"
# Each versioned document's shipped texts: the privacy policy, the terms of sale.
POLICY_DIRECTORIES = {
    PolicyDocument.PRIVACY: POLICY_DIRECTORY,
    PolicyDocument.TERMS: POLICY_DIRECTORY / "terms",
}
NOTICE_BATCH_SIZE = 200


def policy_version_publish(*, version: PolicyVersion, now: datetime | None = None) -> PolicyVersion:
    """Publish a draft. A significant change must take effect at least
    ``POLICY_NOTICE_DAYS`` later, and every active customer is told (POL-02)."""
    moment = now or timezone.now()
    if version.effective_at < moment:
        raise PolicyError(gettext("A version cannot take effect in the past: choose a later date."))
    notice = timedelta(days=settings.POLICY_NOTICE_DAYS)
    if version.significant and version.effective_at < moment + notice:
        raise PolicyError(
            gettext(
                "A significant change takes effect at least %(POLICY_NOTICE_DAYS)s days "
                "after publication, so that every customer is told first."
            )
            % {"POLICY_NOTICE_DAYS": settings.POLICY_NOTICE_DAYS}
        )
    with transaction.atomic():
        updated = PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=True).update(
            published_at=moment
        )
        if updated != 1:
            raise PolicyError(
                gettext("Version %(version)s is already published.") % {"version": version.version}
            )
        if version.significant:
            enqueue_on_commit(send_policy_notices_task, version.pk)
    version.refresh_from_db()
    return version


def policy_accept(
    *, user: User, version: PolicyVersion, now: datetime | None = None
) -> PolicyAcceptance:
    """Record that ``user`` accepted ``version`` (append-only; accepting twice keeps the first)."""
    if not version.is_published:
        raise PolicyError(gettext("Only a published version can be accepted."))
    existing = PolicyAcceptance.objects.filter(user=user, version=version).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PolicyAcceptance.objects.create(
                user=user, version=version, accepted_at=now or timezone.now()
            )
    except IntegrityError:
        # Two tabs accepting at once: the first one counts.
        return PolicyAcceptance.objects.get(user=user, version=version)


def policy_notices_send_batch(
    *, version_id: int, batch_size: int | None = None, now: datetime | None = None
) -> int:
    """Tell the next ``batch_size`` customers about a significant change:
    those whose account works (a locked minor's or a closed account is not told).

    Each customer gets one ``PolicyNotice`` row and one message, in the same
    transaction, so a rerun after a crash never tells anyone twice. Returns how
    many were told; fewer than ``batch_size`` means everyone has been.
    """
    moment = now or timezone.now()
    version = PolicyVersion.objects.filter(pk=version_id).first()
    if (
        version is None
        or not version.significant
        or version.published_at is None
        or version.effective_at <= moment
    ):
        return 0
    from roamwise.notifications.services import notify

    users = list(
        customers_reachable()
        .exclude(policy_notices__version=version)
        .order_by("pk")[: batch_size or NOTICE_BATCH_SIZE]
    )
    context = {
        "version": version,
        "link": settings.SITE_URL + reverse("governance:policy_version", args=[version.version]),
        "policy_link": settings.SITE_URL + reverse("privacy_policy"),
    }
    told = 0
    for user in users:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    PolicyNotice.objects.create(version=version, user=user, notified_at=moment)
            except IntegrityError:
                continue  # another worker told this customer a moment ago
            notify(
                user=user,
                kind="policy",
                template="governance/email/policy_change",
                context=context,
            )
            told += 1
    return told


@dataclass(frozen=True)
class PolicyFile:
    version: str
    body: str
    published_at: datetime
    effective_at: datetime
    significant: bool
    summary: str


def _when(value: object, *, field: str, label: str) -> datetime:
    parsed = parse_datetime(str(value))
    if parsed is None or timezone.is_naive(parsed):
        raise PolicyError(
            gettext("%(label)s: %(field)s must be an ISO date and time with a time zone.")
            % {"label": label, "field": field}
        )
    return parsed


def policy_files_read(directory: Path = POLICY_DIRECTORY) -> list[PolicyFile]:
    """The policy texts shipped in the repository, from ``versions.toml``."""
    manifest = tomllib.loads((directory / "versions.toml").read_text(encoding="utf-8"))
    files = []
    for entry in manifest.get("version", []):
        label = str(entry["version"])
        files.append(
            PolicyFile(
                version=label,
                body=(directory / str(entry["file"])).read_text(encoding="utf-8"),
                published_at=_when(entry["published"], field="published", label=label),
                effective_at=_when(entry["effective"], field="effective", label=label),
                significant=bool(entry.get("significant", False)),
                summary=str(entry.get("summary", "")).strip(),
            )
        )
    return files


def policy_load(
    *,
    directory: Path | None = None,
    document: str = PolicyDocument.PRIVACY,
    now: datetime | None = None,
) -> list[PolicyVersion]:
    """Load a document's shipped texts; idempotent. Returns the versions created.

    A version already taking effect is history: it is stored as published at
    its stated date. A future one is published now, through
    ``policy_version_publish``, so a significant change notifies customers.
    The text of a version already loaded never changes.
    """
    moment = now or timezone.now()
    created = []
    for item in policy_files_read(directory or POLICY_DIRECTORIES[PolicyDocument(document)]):
        existing = PolicyVersion.objects.filter(document=document, version=item.version).first()
        if existing is not None:
            if existing.body != item.body:
                raise PolicyError(
                    gettext(
                        "Version %(version)s is already published with another text: "
                        "publish the change as a new version."
                    )
                    % {"version": item.version}
                )
            continue
        if item.effective_at <= moment:
            version = PolicyVersion.objects.create(
                document=document,
                version=item.version,
                body=item.body,
                summary_of_changes=item.summary,
                significant=item.significant,
                effective_at=item.effective_at,
                published_at=min(item.published_at, item.effective_at),
            )
        else:
            draft = PolicyVersion.objects.create(
                document=document,
                version=item.version,
                body=item.body,
                summary_of_changes=item.summary,
                significant=item.significant,
                effective_at=item.effective_at,
            )
            version = policy_version_publish(version=draft, now=moment)
        created.append(version)
    return created


# --- Storage location (RET-08) ---------------------------------------------------

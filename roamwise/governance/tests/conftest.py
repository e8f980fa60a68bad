from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roamwise.governance.models import PolicyVersion

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def published(
    label: str,
    *,
    effective: datetime,
    published_at: datetime | None = None,
    significant: bool = False,
    body: str = "",
    summary: str = "",
) -> PolicyVersion:
    """A version already published (history), written directly."""
    return PolicyVersion.objects.create(
        version=label,
        body=body or f"## Version {label}\n\nThe text of {label}.",
        summary_of_changes=summary,
        significant=significant,
        effective_at=effective,
        published_at=published_at or effective,
    )


@pytest.fixture
def in_force(db: None) -> PolicyVersion:
    return published("2025-01", effective=datetime(2025, 1, 1, tzinfo=UTC))

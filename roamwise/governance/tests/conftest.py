from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from conftest import PASSWORD, enable_totp, make_customer, totp_code
from roamwise.accounts.models import User
from roamwise.governance.models import PolicyVersion

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def staff_client(role: str | None, username: str) -> tuple[Client, User]:
    """role None: a superuser; "": staff with no role at all."""
    from roamwise.audit import roles

    roles.ensure_roles()
    member = make_customer(username, is_staff=True, is_superuser=role is None)
    if role:
        member.groups.add(Group.objects.get(name=role))
    secret = enable_totp(member)
    client = Client()
    client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    return client, member


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

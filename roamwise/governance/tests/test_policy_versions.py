"""Policy versions: loaded from the texts in the repository, one in force at a
time, published texts never change, and consent records carry the version in
force (POL-01)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.consent import selectors as consent_selectors
from roamwise.consent import services as consent_services
from roamwise.governance import selectors, services
from roamwise.governance.models import PolicyAcceptance, PolicyVersion
from roamwise.kernel import policies
from roamwise.kernel.errors import PolicyError
from roamwise.testing.people import staff_client

from .conftest import NOW, published

SHIPPED = Path(services.__file__).resolve().parent / "policies"


@pytest.mark.commitment("POL-01")
def test_the_shipped_texts_load_once_and_the_latest_is_in_force(db: None) -> None:
    call_command("policy_load")
    call_command("policy_load")  # idempotent

    versions = list(PolicyVersion.objects.filter(document="privacy").order_by("effective_at"))
    assert [v.version for v in versions] == ["2025-01", "2025-09"]
    assert all(v.is_published for v in versions)
    assert versions[0].body == (SHIPPED / "2025-01.md").read_text()
    assert versions[1].significant is True
    assert versions[1].published_at == datetime(2025, 8, 1, tzinfo=UTC)
    assert versions[1].effective_at == datetime(2025, 9, 1, tzinfo=UTC)
    # The app reads its own copy, never ../shared: the texts are in the package.
    assert SHIPPED.is_relative_to(Path(services.__file__).resolve().parents[1])
    assert policies.policy_in_force() == versions[1]
    assert policies.policy_in_force(now=datetime(2025, 8, 31, tzinfo=UTC)) == versions[0]
    assert policies.policy_in_force(now=datetime(2024, 12, 31, tzinfo=UTC)) is None


def test_a_published_text_cannot_be_changed_by_loading(db: None, tmp_path: Path) -> None:
    published("2025-01", effective=datetime(2025, 1, 1, tzinfo=UTC), body="The old text.\n")
    (tmp_path / "2025-01.md").write_text("A quietly edited text.\n")
    (tmp_path / "versions.toml").write_text(
        '[[version]]\nversion = "2025-01"\nfile = "2025-01.md"\n'
        'published = "2025-01-01T00:00:00Z"\neffective = "2025-01-01T00:00:00Z"\n'
    )

    with pytest.raises(PolicyError, match="publish the change as a new version"):
        services.policy_load(directory=tmp_path)
    assert PolicyVersion.objects.get(version="2025-01").body == "The old text.\n"


def test_a_future_version_in_the_files_is_published_now(db: None, tmp_path: Path) -> None:
    (tmp_path / "next.md").write_text("Next.\n")
    (tmp_path / "versions.toml").write_text(
        '[[version]]\nversion = "2026-06"\nfile = "next.md"\n'
        'published = "2020-01-01T00:00:00Z"\neffective = "2026-06-01T00:00:00Z"\n'
        "significant = false\n"
    )

    [version] = services.policy_load(directory=tmp_path, now=NOW)

    assert version.published_at == NOW
    assert selectors.policy_upcoming(now=NOW) == [version]
    assert policies.policy_in_force(now=NOW) is None


@pytest.mark.commitment("POL-01")
def test_consent_records_carry_the_version_in_force(alice: User) -> None:
    # Before any version is published: the setting stands in.
    with override_settings(PRIVACY_POLICY_VERSION="bootstrap"):
        assert consent_selectors.current_policy_version() == "bootstrap"
    published("2025-01", effective=datetime(2025, 1, 1, tzinfo=UTC))
    published("2025-09", effective=datetime(2025, 9, 1, tzinfo=UTC))
    # Published but not yet in effect: not the version in force.
    published(
        "2099-01",
        effective=datetime(2099, 1, 1, tzinfo=UTC),
        published_at=datetime(2025, 10, 1, tzinfo=UTC),
    )

    with override_settings(PRIVACY_POLICY_VERSION="ignored once versions exist"):
        record = consent_services.consent_record(
            purpose="analytics", granted=True, source="settings", user=alice
        )

    assert record.policy_version == "2025-09"
    assert consent_selectors.current_policy_version() == "2025-09"


def test_publishing_rules(in_force: PolicyVersion, settings: object) -> None:
    settings.POLICY_NOTICE_DAYS = 30  # type: ignore[attr-defined]
    past = PolicyVersion.objects.create(
        version="past", body="x", effective_at=NOW - timedelta(days=1)
    )
    soon = PolicyVersion.objects.create(
        version="soon", body="x", significant=True, effective_at=NOW + timedelta(days=29)
    )
    minor = PolicyVersion.objects.create(version="minor", body="x", effective_at=NOW)

    with pytest.raises(PolicyError, match="in the past"):
        services.policy_version_publish(version=past, now=NOW)
    with pytest.raises(PolicyError, match="at least 30 days"):
        services.policy_version_publish(version=soon, now=NOW)
    done = services.policy_version_publish(version=minor, now=NOW)
    with pytest.raises(PolicyError, match="already published"):
        services.policy_version_publish(version=done, now=NOW)

    assert done.published_at == NOW
    assert list(
        PolicyVersion.objects.filter(published_at__isnull=True).values_list("version", flat=True)
    ) == ["soon", "past"]
    assert policies.policy_in_force(now=NOW) == done


def test_acceptances_are_append_only(alice: User, in_force: PolicyVersion) -> None:
    first = services.policy_accept(user=alice, version=in_force, now=NOW)
    again = services.policy_accept(user=alice, version=in_force, now=NOW + timedelta(hours=1))

    assert again.pk == first.pk and again.accepted_at == NOW
    first.accepted_at = NOW + timedelta(days=1)
    with pytest.raises(ValueError, match="append-only"):
        first.save()
    with pytest.raises(ValueError, match="append-only"):
        PolicyAcceptance.objects.filter(pk=first.pk).update(accepted_at=NOW)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE governance_policyacceptance SET accepted_at = %s WHERE id = %s",
            [NOW + timedelta(days=2), first.pk],
        )
    assert PolicyAcceptance.objects.get(pk=first.pk).accepted_at == NOW


def test_a_draft_cannot_be_accepted(alice: User) -> None:
    draft = PolicyVersion.objects.create(version="d", body="x", effective_at=NOW)

    with pytest.raises(PolicyError):
        services.policy_accept(user=alice, version=draft)
    assert PolicyAcceptance.objects.count() == 0


@pytest.mark.commitment("POL-02")
def test_the_back_office_publishes_drafts_and_keeps_published_texts_read_only(
    db: None, settings: object
) -> None:
    settings.POLICY_NOTICE_DAYS = 0  # type: ignore[attr-defined]
    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sam")
    draft = PolicyVersion.objects.create(
        version="2027-01", body="Draft text", effective_at=datetime(2027, 1, 1, tzinfo=UTC)
    )
    action = {"action": "publish", "_selected_action": [draft.pk]}

    assert agent.post("/admin/governance/policyversion/", action).status_code == 403
    draft.refresh_from_db()
    assert draft.published_at is None

    response = officer.post("/admin/governance/policyversion/", action, follow=True)

    draft.refresh_from_db()
    assert draft.published_at is not None
    assert "Published 2027-01" in response.content.decode()
    change = officer.get(f"/admin/governance/policyversion/{draft.pk}/change/").content.decode()
    assert 'name="body"' not in change  # read-only once published
    officer.post(
        f"/admin/governance/policyversion/{draft.pk}/change/",
        {"version": "2027-01", "body": "Edited", "effective_at_0": "2027-01-01"},
    )
    draft.refresh_from_db()
    assert draft.body == "Draft text"
    assert (
        officer.post(
            f"/admin/governance/policyversion/{draft.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert PolicyVersion.objects.filter(pk=draft.pk).exists()


@pytest.mark.commitment("SHR-02")
def test_the_processors_page_is_for_privacy_staff(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/admin/processors/").status_code in (302, 403)
    agent, _ = staff_client(roles.SUPPORT_AGENT, "sam")
    assert agent.get("/admin/processors/").status_code == 403
    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")

    page = officer.get("/admin/processors/")

    assert page.status_code == 200
    html = page.content.decode()
    for code in ("hosting", "email", "payment", "smdp", "network"):
        assert f'<tr id="recipient-{code}">' in html

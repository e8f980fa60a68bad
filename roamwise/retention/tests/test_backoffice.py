"""The back office: staff with the permission list, place and release legal
holds (RET-07) and read the record of each retention run (RET-06)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.accounts.services import login_record
from roamwise.audit import roles
from roamwise.retention.models import LegalHold, RetentionRun
from roamwise.testing.people import staff_client

from .conftest import sweep

HOLDS = "/admin/retention/legalhold/"
RUNS = "/admin/retention/retentionrun/"


@pytest.fixture(autouse=True)
def _roles(db: None) -> None:
    roles.ensure_roles()


@pytest.mark.commitment("RET-07")
def test_a_privacy_officer_places_and_releases_a_hold(alice: User) -> None:
    officer_client, officer = staff_client(roles.PRIVACY_OFFICER, "officer")
    event = login_record(user=alice, user_agent="Firefox", ip="81.56.0.1")

    response = officer_client.post(
        f"{HOLDS}add/",
        {
            "subject_id": str(alice.public_id),
            "kind": "legal_request",
            "reason": "Court order 2026/114",
            "model": "accounts.loginevent",
            "object_id": str(event.pk),
            "reference": "CO-114",
        },
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.subject_id, hold.model, hold.object_id, hold.placed_by) == (
        alice.public_id,
        "accounts.loginevent",
        str(event.pk),
        officer,
    )
    listing = officer_client.get(f"{HOLDS}?state=active").content.decode()
    assert "CO-114" in listing

    response = officer_client.post(HOLDS, {"action": "release", "_selected_action": [hold.pk]})

    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == officer
    assert "CO-114" not in officer_client.get(f"{HOLDS}?state=active").content.decode()


def test_a_hold_on_nothing_known_is_refused_with_a_message(alice: User) -> None:
    officer_client, _ = staff_client(roles.PRIVACY_OFFICER, "officer")

    response = officer_client.post(
        f"{HOLDS}add/",
        {
            "subject_id": str(alice.public_id),
            "kind": "dispute",
            "reason": "Chargeback",
            "model": "accounts.loginevent",
            "object_id": "424242",
        },
    )

    assert response.status_code == 200
    assert "There is no accounts.LoginEvent with id 424242." in response.content.decode()
    assert not LegalHold.objects.exists()


@pytest.mark.commitment("RET-07")
def test_staff_without_the_permission_cannot_place_or_release_holds(alice: User) -> None:
    hold = LegalHold.objects.create(subject_id=alice.public_id, kind="dispute", reason="Chargeback")
    agent_client, _ = staff_client(roles.SUPPORT_AGENT, "agent")
    billing_client, _ = staff_client(roles.BILLING, "biller")

    assert agent_client.get(HOLDS).status_code == 403
    assert agent_client.get(f"{HOLDS}add/").status_code == 403
    # Billing sees the holds its disputes place, and changes none.
    assert billing_client.get(HOLDS).status_code == 200
    assert billing_client.get(f"{HOLDS}add/").status_code == 403
    billing_client.post(HOLDS, {"action": "release", "_selected_action": [hold.pk]})
    agent_client.post(HOLDS, {"action": "release", "_selected_action": [hold.pk]})

    hold.refresh_from_db()
    assert hold.active
    assert LegalHold.objects.count() == 1


@pytest.mark.commitment("RET-06")
def test_run_records_are_listed_read_only(alice: User) -> None:
    login_record(user=alice, user_agent="Firefox", ip="81.56.0.1")
    run = sweep("accounts.LoginEvent", now=timezone.now() + timedelta(days=400))
    officer_client, _ = staff_client(roles.PRIVACY_OFFICER, "officer")
    agent_client, _ = staff_client(roles.SUPPORT_AGENT, "agent")

    listing = officer_client.get(RUNS)
    page = officer_client.get(f"{RUNS}{run.pk}/change/").content.decode()

    assert listing.status_code == 200
    assert "accounts.LoginEvent" in page
    assert officer_client.get(f"{RUNS}add/").status_code == 403
    assert officer_client.post(f"{RUNS}{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RetentionRun.objects.filter(pk=run.pk).exists()
    assert agent_client.get(RUNS).status_code == 403

"""The privacy officer's queue in the back office: a role with its own
permission, every opening logged (SEC-04), assignment, answers and files."""

from __future__ import annotations

import pytest
from django.core import mail

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.rights.evidence import Upload
from roamwise.rights.models import DataRequest, RequestStatus
from roamwise.rights.services import customer
from roamwise.testing.helpers import PNG, committed
from roamwise.testing.people import staff_client


@pytest.fixture
def correction(alice: User, staff_roles: None) -> DataRequest:
    return committed(  # type: ignore[return-value]
        lambda: customer.correction_request(
            user=alice,
            fields=["accounts.Profile.date_of_birth"],
            details="Born 17 May 1991, not 1990.",
            uploads=[Upload("birth.png", "image/png", PNG)],
        )
    )


@pytest.mark.commitment("RGT-02")
@pytest.mark.commitment("RGT-09")
def test_the_privacy_officer_handles_a_correction_from_the_queue(
    correction: DataRequest, alice: User, jobs: object
) -> None:
    officer, member = staff_client(roles.PRIVACY_OFFICER, "paula")
    url = f"/admin/rights/datarequest/{correction.pk}/change/"
    jobs()  # type: ignore[operator]
    mail.outbox.clear()

    queue = officer.get("/admin/rights/datarequest/")
    workspace = officer.get(url)

    assert queue.status_code == 200 and correction.reference in queue.content.decode()
    page = workspace.content.decode()
    assert "Born 17 May 1991, not 1990." in page and "birth.png" in page
    event = AccessEvent.objects.get(actor_id=member.pk)
    assert event.subject_id == alice.public_id
    assert event.reason == f"Privacy request {correction.reference}"
    file_id = correction.files.get().public_id
    download = officer.get(f"/admin/rights/datarequest/{correction.pk}/files/{file_id}/")
    assert download.status_code == 200 and download.content == PNG
    assert AccessEvent.objects.filter(actor_id=member.pk).count() == 2

    officer.post(url, {"action": "assign", "assignee": str(member.pk)})
    committed(
        lambda: officer.post(
            url, {"action": "complete", "text": "We corrected your date of birth."}
        )
    )
    jobs()  # type: ignore[operator]

    correction.refresh_from_db()
    assert correction.assignee == member
    assert correction.status == RequestStatus.COMPLETED
    assert correction.resolution == "We corrected your date of birth."
    (told,) = mail.outbox
    assert told.to == ["alice@example.com"] and "We corrected your date of birth." in told.body
    assert list(correction.events.values_list("actor__username", "to_status")) == [
        (None, "received"),
        ("alice", "in_progress"),
        ("paula", ""),
        ("paula", "completed"),
    ]


@pytest.mark.commitment("SEC-03")
@pytest.mark.parametrize("role", [roles.SUPPORT_AGENT, roles.BILLING])
def test_other_roles_cannot_open_the_queue(correction: DataRequest, role: str) -> None:
    member_client, member = staff_client(role, "someone")

    assert member_client.get("/admin/rights/datarequest/").status_code == 403
    assert (
        member_client.get(f"/admin/rights/datarequest/{correction.pk}/change/").status_code == 403
    )
    assert (
        member_client.post(
            f"/admin/rights/datarequest/{correction.pk}/change/",
            {"action": "reject", "text": "no"},
        ).status_code
        == 403
    )
    correction.refresh_from_db()
    assert correction.status == RequestStatus.IN_PROGRESS
    assert not AccessEvent.objects.filter(actor_id=member.pk).exists()


def test_the_privacy_officer_role_has_the_queue_permission(staff_roles: None) -> None:
    _, officer = staff_client(roles.PRIVACY_OFFICER, "paula")
    _, admin = staff_client(roles.ADMINISTRATOR, "ada")

    assert officer.has_perm("rights.handle_datarequest")
    assert officer.has_perm("rights.view_datarequest")
    assert not admin.has_perm("rights.handle_datarequest")


@pytest.mark.commitment("RGT-09")
def test_a_rejection_needs_a_reason_and_tells_the_requester(
    correction: DataRequest, jobs: object
) -> None:
    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    url = f"/admin/rights/datarequest/{correction.pk}/change/"
    jobs()  # type: ignore[operator]
    mail.outbox.clear()

    officer.post(url, {"action": "reject", "text": ""})
    correction.refresh_from_db()
    assert correction.status == RequestStatus.IN_PROGRESS

    committed(lambda: officer.post(url, {"action": "reject", "text": "No evidence matches."}))
    jobs()  # type: ignore[operator]

    correction.refresh_from_db()
    assert correction.status == RequestStatus.REJECTED
    assert "No evidence matches." in mail.outbox[0].body

"""Erasure through a request (RGT-03): a re-authenticated customer confirms,
``erase_subject`` runs, and the report (what was kept and why) is shown and
recorded; a failed verification fails the request loudly for staff."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.rights.erasure import ErasureIncomplete, ErasureReport
from roamwise.rights.erasure_check import Leftover
from roamwise.rights.models import DataRequest, RequestKind, RequestStatus
from roamwise.rights.services import common, customer
from roamwise.rights.services import staff as staff_queue
from roamwise.testing.helpers import committed
from roamwise.testing.people import staff_client
from roamwise.vault.models import DataKey

from .conftest import reauthenticate


def incomplete_for(user: User, model: str, field: str) -> ErasureIncomplete:
    """What erase_subject raises when verification finds a leftover."""
    return ErasureIncomplete(ErasureReport(subject_id=user.public_id), [Leftover(model, field, 1)])


@pytest.fixture
def erasure_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Record each call to erase_subject, which still runs."""
    calls: list[tuple[int, str]] = []
    real = common.erase_subject

    def spy(*, user: User, reason: str) -> ErasureReport:
        calls.append((user.pk, reason))
        return real(user=user, reason=reason)

    monkeypatch.setattr(common, "erase_subject", spy)
    return calls


@pytest.mark.commitment("RGT-03")
def test_erasure_needs_recent_reauthentication(buyer: Client, alice: User) -> None:
    response = buyer.post("/rights/erase/", {"confirm": "erase"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert User.objects.filter(pk=alice.pk).exists()
    assert not DataRequest.objects.exists()


@pytest.mark.commitment("RGT-03")
def test_erasure_without_the_box_ticked_changes_nothing(buyer: Client, alice: User) -> None:
    reauthenticate(buyer)

    response = buyer.post("/rights/erase/", {})

    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    assert not DataRequest.objects.exists()


@pytest.mark.commitment("RGT-03")
def test_a_customer_erases_their_data_through_a_request(
    buyer: Client, alice: User, erasure_calls: list, jobs: object
) -> None:
    reauthenticate(buyer)
    page = buyer.get("/rights/erase/").content.decode()
    assert "Accountability: proof of who accessed personal data" in page  # kept by law
    alice_id, alice_key = alice.pk, alice.public_id

    response = committed(lambda: buyer.post("/rights/erase/", {"confirm": "erase"}))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert erasure_calls == [(alice_id, f"Erasure request {request.reference}")]
    assert response.status_code == 200
    assert not User.objects.filter(pk=alice_id).exists()
    assert not DataKey.objects.filter(subject_id=alice_key).exists()
    assert (request.kind, request.status, request.user) == (
        RequestKind.ERASURE,
        RequestStatus.COMPLETED,
        None,
    )
    accountability = "Proof that we answered your privacy requests (GDPR Art. 5(2) accountability)"
    assert sorted(request.outcome["retained"], key=lambda r: r["model"]) == [
        {"model": "rights.DataRequest", "rows": 1, "reason": accountability},
        {"model": "rights.DataRequestEvent", "rows": 2, "reason": accountability},
        {
            "model": "vault.Tombstone",
            "rows": 1,
            "reason": "Proof of erasure: a restored backup is erased again (SEC-05)",
        },
    ]
    # Shown to the customer with the reason, and emailed to the address they had.
    shown = response.content.decode()
    assert "Your data is erased" in shown
    assert "rights.DataRequest (1): Proof that we answered your privacy requests" in shown
    (told,) = mail.outbox
    assert told.to == ["alice@example.com"]
    assert "Proof of erasure: a restored backup is erased again" in told.body
    # Signed out: the session is gone.
    assert buyer.get("/rights/").status_code == 302
    # The request row stays (accountability) but its sealed text cannot be read.
    assert DataKey.objects.filter(subject_id=request.key_subject).exists() is False
    assert list(request.events.values_list("to_status", flat=True)) == [
        "received",
        "in_progress",
        "completed",
    ]


@pytest.mark.commitment("RGT-03")
def test_a_failed_erasure_verification_fails_the_request_for_staff_to_see(
    buyer: Client, alice: User, staff_roles: None, monkeypatch: pytest.MonkeyPatch, jobs: object
) -> None:
    def incomplete(*, user: User, reason: str) -> ErasureReport:
        raise incomplete_for(user, "support.TicketMessage", "body")

    monkeypatch.setattr(common, "erase_subject", incomplete)
    reauthenticate(buyer)

    response = committed(lambda: buyer.post("/rights/erase/", {"confirm": "erase"}))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert request.status == RequestStatus.FAILED
    assert request.completed_at is None
    assert "support.TicketMessage.body" in request.outcome["error"]
    assert "not finished" in response.content.decode()
    assert "Your data is erased" not in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "privacy@roamwise.example"]
    alert = next(m for m in mail.outbox if m.to == ["privacy@roamwise.example"])
    assert "FAILED" in alert.subject and request.reference in alert.subject
    # The privacy officer finds it in the queue, filtered by status, and sees why.
    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    queue = officer.get("/admin/rights/datarequest/?status__exact=failed")
    assert [r.pk for r in queue.context["cl"].result_list] == [request.pk]
    workspace = officer.get(f"/admin/rights/datarequest/{request.pk}/change/").content.decode()
    assert "Erasure failed" in workspace and "support.TicketMessage.body" in workspace


@pytest.mark.commitment("RGT-03")
def test_staff_retry_a_failed_erasure_from_the_queue(
    alice: User, staff_roles: None, monkeypatch: pytest.MonkeyPatch, erasure_calls: list
) -> None:
    spy = common.erase_subject
    failures = iter([True])

    def flaky(*, user: User, reason: str) -> ErasureReport:
        if next(failures, False):
            raise incomplete_for(user, "support.Ticket", "title")
        return spy(user=user, reason=reason)

    monkeypatch.setattr(common, "erase_subject", flaky)
    request = customer.erasure_request_self(user=alice)
    assert request.status == RequestStatus.FAILED
    officer, member = staff_client(roles.PRIVACY_OFFICER, "paula")

    officer.post(f"/admin/rights/datarequest/{request.pk}/change/", {"action": "erase"})

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert len(erasure_calls) == 1
    assert request.events.filter(actor=member, note="retry").exists()


@pytest.mark.commitment("RGT-03")
def test_a_request_whose_key_an_erasure_destroyed_is_never_sealed_again(
    alice: User, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from roamwise.vault import services as vault

    def shred_then_fail(*, user: User, reason: str) -> ErasureReport:
        vault.shred(user.public_id)
        raise incomplete_for(user, "orders.Order", "billing_name")

    monkeypatch.setattr(common, "erase_subject", shred_then_fail)
    request = customer.erasure_request_self(user=alice)
    assert request.status == RequestStatus.FAILED

    staff_queue.request_reject(
        request=request, actor=staff, reason="Kept under a legal hold until the dispute ends."
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    # Writing the reason would have created a new key for the erased subject.
    assert not DataKey.objects.filter(subject_id=alice.public_id).exists()
    assert request.key_subject == alice.public_id

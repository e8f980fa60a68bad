"""The public form for people without an account and for parents: the
address is verified by a signed, expiring link before anything happens, and
identity is verified before anything is disclosed (RGT-09). A parent can have
their child's data deleted (CHD-03)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.rights.models import DataRequest, RequesterKind, RequestKind, RequestStatus
from roamwise.rights.services import downloads, public
from roamwise.rights.services import staff as staff_queue
from roamwise.testing.helpers import committed, link_in, rows_containing
from roamwise.testing.people import make_customer
from roamwise.vault.models import DataKey

from .conftest import data_json, zip_members


def ask(client: Client, **fields: str) -> object:
    data = {
        "email": "alice@example.com",
        "relationship": "self",
        "kind": "access",
        "jurisdiction": "default",
        "details": "",
        "child_identifier": "",
        **fields,
    }
    return committed(lambda: client.post("/rights/request/", data))


def sent_link(jobs: object, fragment: str) -> str:
    jobs()  # type: ignore[operator]
    return link_in(mail.outbox[-1].body, fragment)


@pytest.mark.commitment("RGT-09")
def test_nothing_happens_until_the_address_is_verified(client: Client, jobs: object) -> None:
    response = ask(client, email="Someone@Example.org", kind="erasure")

    assert response.status_code == 200
    assert "We sent a link to Someone@Example.org" in response.content.decode()
    request = DataRequest.objects.get()
    assert request.status == RequestStatus.VERIFYING
    assert request.requester_kind == RequesterKind.NON_CUSTOMER
    link = sent_link(jobs, "/rights/verify/")
    assert [m.to for m in mail.outbox] == [["Someone@Example.org"]]  # nobody else is told
    # The address is sealed, not readable in the database.
    assert rows_containing("someone@example.org") == []

    # Opening the link shows a button (mail scanners follow links); it changes nothing.
    assert client.get(link).status_code == 200
    request.refresh_from_db()
    assert request.status == RequestStatus.VERIFYING
    assert client.post("/rights/verify/forged-token/").status_code == 404

    committed(lambda: client.post(link))

    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS
    assert request.verified_at is not None
    assert request.due_at == request.received_at + timedelta(days=30)


@pytest.mark.commitment("RGT-09")
def test_the_verification_link_expires_and_unverified_requests_are_dropped(
    client: Client, jobs: object
) -> None:
    ask(client, email="late@example.org")
    link = sent_link(jobs, "/rights/verify/")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    request = DataRequest.objects.get()
    later = timezone.now() + timedelta(hours=49)

    from roamwise.rights.errors import LinkInvalid

    with pytest.raises(LinkInvalid, match="expired"):
        public.public_request_verify(token=token, now=later)
    assert public.unverified_requests_delete(now=later - timedelta(hours=2)) == 0
    assert public.unverified_requests_delete(now=later) == 1
    assert not DataRequest.objects.exists()
    assert not DataKey.objects.filter(subject_id=request.key_subject).exists()


@pytest.mark.commitment("RGT-09")
def test_the_public_form_is_rate_limited(client: Client, settings: object) -> None:
    settings.RIGHTS_PUBLIC_FORM_LIMIT = 2  # type: ignore[attr-defined]

    statuses = [ask(client, email=f"p{i}@example.org").status_code for i in range(3)]  # type: ignore[attr-defined]

    assert statuses == [200, 200, 429]
    assert DataRequest.objects.count() == 2


@pytest.mark.commitment("RGT-09")
def test_a_verified_account_address_gets_a_one_time_download_and_no_data_by_email(
    client: Client, alice: User, jobs: object
) -> None:
    ask(client, email="ALICE@example.com", kind="export")
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert (request.status, request.user) == (RequestStatus.COMPLETED, alice)
    answer = mail.outbox[-1]
    assert answer.to == ["ALICE@example.com"]
    # No personal data in the email: only a link.
    for value in ("+447911123456", "1990-05-17", str(alice.public_id), "alice"):
        assert value not in answer.body.lower()
    download = link_in(answer.body, "/rights/download/")
    browser = Client()
    assert browser.get(download).status_code == 200  # a page with a button
    archive = browser.post(download)
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    assert data_json(archive.content)["subject"]["id"] == str(alice.public_id)
    assert "index.html" in zip_members(archive.content)
    # One time only.
    assert browser.post(download).status_code == 404
    assert Client().get(download).status_code == 404


@pytest.mark.commitment("RGT-09")
def test_an_unverified_account_address_gets_no_data_at_all(client: Client, jobs: object) -> None:
    carol = make_customer("carol", verified=False)

    ask(client, email="carol@example.com", kind="access")
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert request.status == RequestStatus.IN_PROGRESS  # for staff to answer
    assert request.user is None
    assert request.download_token_hash == ""
    to_requester = [m for m in mail.outbox if m.to == ["carol@example.com"]]
    assert len(to_requester) == 2  # the verification, then "with our team"
    assert "/rights/download/" not in to_requester[-1].body
    assert "+447911123456" not in to_requester[-1].body
    # Staff cannot send data to it either.
    from roamwise.rights.errors import InvalidRequest

    request.user = carol
    request.save(update_fields=["user"])
    with pytest.raises(InvalidRequest, match="not a verified address"):
        downloads.request_send_download(request=request, actor=carol)
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS and request.download_token_hash == ""


@pytest.mark.commitment("RGT-09")
def test_an_address_of_no_account_goes_to_staff_and_receives_nothing(
    client: Client, jobs: object
) -> None:
    ask(client, email="stranger@example.org", kind="export")
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert (request.status, request.user) == (RequestStatus.IN_PROGRESS, None)
    assert [m.to for m in mail.outbox] == [
        ["stranger@example.org"],
        ["stranger@example.org"],
        ["privacy@roamwise.example"],
    ]
    assert "/rights/download/" not in mail.outbox[1].body


@pytest.mark.commitment("CHD-03")
def test_a_parent_has_their_childs_data_deleted_once_their_address_is_verified(
    client: Client, child: User, alice: User, jobs: object
) -> None:
    jobs()  # type: ignore[operator]
    mail.outbox.clear()
    child_id, child_key = child.pk, child.public_id

    ask(
        client,
        email="parent@example.org",
        relationship="parent",
        kind="erasure",
        child_identifier="KIDDO",
    )
    request = DataRequest.objects.get()
    assert request.requester_kind == RequesterKind.PARENT
    assert User.objects.filter(pk=child_id).exists()  # nothing before verification
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    jobs()  # type: ignore[operator]

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.kind == RequestKind.ERASURE
    assert not User.objects.filter(pk=child_id).exists()
    assert not DataKey.objects.filter(subject_id=child_key).exists()
    assert User.objects.filter(pk=alice.pk).exists()
    # The request keeps no copy of the child's name.
    assert request.child_identifier == ""
    done = mail.outbox[-1]
    assert done.to == ["parent@example.org"]
    assert "your child's account and its personal data are erased" in done.body


@pytest.mark.commitment("CHD-03")
def test_someone_else_cannot_delete_a_childs_account(
    client: Client, child: User, jobs: object
) -> None:
    ask(
        client,
        email="impostor@example.org",
        relationship="parent",
        kind="erasure",
        child_identifier="kiddo",
    )
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    jobs()  # type: ignore[operator]

    request = DataRequest.objects.get()
    assert User.objects.filter(pk=child.pk).exists()
    assert (request.status, request.user) == (RequestStatus.IN_PROGRESS, None)
    assert mail.outbox[-1].to == ["privacy@roamwise.example"]
    assert "no automatic match" in mail.outbox[-1].subject


@pytest.mark.commitment("CHD-03")
def test_a_parent_cannot_delete_an_adults_account(
    client: Client, child: User, jobs: object
) -> None:
    from datetime import date

    child.profile.date_of_birth = date(date.today().year - 19, 1, 1)
    child.profile.save()

    ask(
        client,
        email="parent@example.org",
        relationship="parent",
        kind="erasure",
        child_identifier="kiddo@example.com",
    )
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))

    assert User.objects.filter(pk=child.pk).exists()
    assert DataRequest.objects.get().status == RequestStatus.IN_PROGRESS


@pytest.mark.commitment("RGT-03")
def test_a_verified_erasure_request_by_email_is_carried_out_by_staff(
    client: Client, alice: User, staff: User, jobs: object
) -> None:
    EmailAddress.objects.filter(user=alice).update(verified=True)
    ask(client, email="alice@example.com", kind="erasure")
    committed(lambda: client.post(sent_link(jobs, "/rights/verify/")))
    request = DataRequest.objects.get()
    assert (request.status, request.user) == (RequestStatus.IN_PROGRESS, alice)
    assert User.objects.filter(pk=alice.pk).exists()  # a person decides, not a link

    staff_queue.request_erase(request=request, actor=staff)

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert not User.objects.filter(username="alice").exists()

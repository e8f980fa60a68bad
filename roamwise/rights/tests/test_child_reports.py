"""An under-13 account reported by a parent, or by anyone (CHD-03, CHD-04):
staff find the account from the request's page, link it once they have
verified the report (who and how are recorded), and erase it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.core.errors import DomainError
from roamwise.rights.export import export_build
from roamwise.rights.models import DataRequest, LinkMethod, RequesterKind, RequestStatus
from roamwise.rights.services import public
from roamwise.rights.services import staff as staff_queue
from roamwise.testing.helpers import committed, link_in, rows_containing
from roamwise.testing.people import make_customer, staff_client
from roamwise.vault.models import DataKey


def claimed_adult(username: str) -> User:
    """A 12-year-old who gave an adult's date of birth at sign-up: no parent
    was ever asked, so no parent's address names the account."""
    return make_customer(username)


def verified(client: Client, jobs: object) -> DataRequest:
    jobs()  # type: ignore[operator]
    link = link_in(mail.outbox[-1].body, "/rights/verify/")
    committed(lambda: client.post(link))
    jobs()  # type: ignore[operator]
    return DataRequest.objects.get()


def link_and_erase(officer: Client, request: DataRequest, username: str) -> str:
    url = f"/admin/rights/datarequest/{request.pk}/change/"
    page = officer.get(url, {"find": username}).content.decode()
    account = User.objects.get(username=username)
    assert str(account.public_id) in page
    unknown = officer.post(url, {"action": "link", "account": "not-an-id", "method": "other"})
    assert unknown.status_code == 302
    request.refresh_from_db()
    assert request.user is None
    officer.post(
        url,
        {
            "action": "link",
            "account": str(account.public_id),
            "method": LinkMethod.ACCOUNT_CONTENT,
            "text": "Support chat says the holder is in year 6 at school.",
        },
    )
    committed(lambda: officer.post(url, {"action": "erase"}))
    return page


@pytest.mark.commitment("CHD-03")
@pytest.mark.commitment("CHD-04")
def test_a_parent_reports_a_child_who_claimed_to_be_an_adult_and_staff_erase_it(
    client: Client, staff_roles: None, jobs: object
) -> None:
    child = claimed_adult("sprout")
    child_key = child.public_id
    officer, member = staff_client(roles.PRIVACY_OFFICER, "paula")
    jobs()  # type: ignore[operator]
    committed(
        lambda: client.post(
            "/rights/request/",
            {
                "email": "parent@example.org",
                "relationship": "parent",
                "kind": "erasure",
                "jurisdiction": "default",
                "child_identifier": "sprout@example.com",
                "details": "",
            },
        )
    )
    request = verified(client, jobs)
    alert = next(m for m in mail.outbox if m.to == ["privacy@roamwise.example"])
    # Plain text, not HTML: no &#x27; in a subject.
    assert alert.subject == (
        f"[Roamwise] Parent's erasure request {request.reference}: no automatic match"
    )
    assert (request.status, request.user) == (RequestStatus.IN_PROGRESS, None)
    mail.outbox.clear()

    page = link_and_erase(officer, request, "sprout")

    found = page[page.index('id="account-candidates"') :]
    found = found[: found.index("</table>")]
    assert "sprout" in found
    assert "sprout@example.com" not in found  # the account, not its address
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert not User.objects.filter(username="sprout").exists()
    assert not DataKey.objects.filter(subject_id=child_key).exists()
    assert rows_containing("sprout@example.com") == []
    assert request.child_identifier == ""
    linked = request.events.get(note__startswith="account linked")
    assert linked.actor == member
    assert str(LinkMethod.ACCOUNT_CONTENT.label) in linked.note
    assert "year 6" in linked.note
    assert AccessEvent.objects.filter(
        actor_id=member.pk, subject_id=child_key, reason__contains="finding the account"
    ).exists()
    jobs()  # type: ignore[operator]
    done = mail.outbox[-1]
    assert done.to == ["parent@example.org"]
    assert "your child's account and its personal data are erased" in done.body


@pytest.mark.commitment("CHD-04")
def test_anyone_can_report_a_suspected_under_13_account(
    client: Client, staff_roles: None, jobs: object
) -> None:
    claimed_adult("sprout")
    reporter = make_customer("teacher")  # has an account of their own: never matched
    officer, _member = staff_client(roles.PRIVACY_OFFICER, "paula")
    jobs()  # type: ignore[operator]
    form = client.get("/rights/report-child/")
    assert form.status_code == 200
    assert 'href="/rights/report-child/"' in client.get("/rights/request/").content.decode()

    response = committed(
        lambda: client.post(
            "/rights/report-child/",
            {
                "email": reporter.email,
                "child_identifier": "sprout",
                "details": "My pupil, aged 11, showed me the app.",
                "jurisdiction": "default",
            },
        )
    )

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert 'id="report-received"' in response.content.decode()  # type: ignore[attr-defined]
    jobs()  # type: ignore[operator]
    # No address to confirm: staff verify the report itself, so it reaches them at once.
    request = DataRequest.objects.get()
    assert request.requester_kind == RequesterKind.REPORTER
    assert (request.status, request.user) == (RequestStatus.IN_PROGRESS, None)
    alert = next(m for m in mail.outbox if m.to == ["privacy@roamwise.example"])
    assert alert.subject == (
        f"[Roamwise] Report of a suspected under-13 account {request.reference}"
    )
    receipt = next(m for m in mail.outbox if m.to == [reporter.email])
    assert request.reference in receipt.subject
    assert "/rights/verify/" not in receipt.body
    assert User.objects.filter(username="sprout").exists()  # nothing before staff verify
    mail.outbox.clear()

    link_and_erase(officer, request, "sprout")

    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert not User.objects.filter(username="sprout").exists()
    assert User.objects.filter(pk=reporter.pk).exists()
    jobs()  # type: ignore[operator]
    (told,) = mail.outbox
    assert told.to == [reporter.email]
    assert "the account you reported and its personal data are erased" in told.body


@pytest.mark.commitment("CHD-04")
def test_linking_needs_a_started_request_a_method_a_note_and_never_takes_staff(
    staff: User,
) -> None:
    child = claimed_adult("sprout")
    request = committed(
        lambda: public.public_request_open(
            email="someone@example.org",
            kind="erasure",
            relationship="reporter",
            child_identifier="sprout",
        )
    )
    assert isinstance(request, DataRequest)
    note = "The parent sent the child's birth certificate."
    parent_request = committed(
        lambda: public.public_request_open(
            email="parent@example.org",
            kind="erasure",
            relationship="parent",
            child_identifier="sprout",
        )
    )
    assert isinstance(parent_request, DataRequest)
    with pytest.raises(DomainError):  # the parent's address is not verified yet
        staff_queue.request_account_link(
            request=parent_request, account=child, actor=staff, method=LinkMethod.OTHER, note=note
        )

    for account, method, why in (
        (child, "", note),  # how it was verified is not said
        (child, LinkMethod.PARENT_PROOF, "ok"),  # what was checked is not said
        (staff, LinkMethod.OTHER, note),  # staff are never erased through a report
    ):
        with pytest.raises(DomainError):
            staff_queue.request_account_link(
                request=request, account=account, actor=staff, method=method, note=why
            )

    request.refresh_from_db()
    parent_request.refresh_from_db()
    assert (request.user, parent_request.user) == (None, None)
    assert not request.events.filter(note__startswith="account linked").exists()
    with pytest.raises(DomainError):  # a report asks for erasure, nothing else
        public.public_request_open(
            email="someone@example.org",
            kind="access",
            relationship="reporter",
            child_identifier="sprout",
        )


@pytest.mark.commitment("CHD-04")
def test_the_account_holder_never_sees_who_reported_them(staff: User) -> None:
    holder = claimed_adult("sprout")
    request = committed(
        lambda: public.public_request_open(
            email="whistle@example.org",
            kind="erasure",
            relationship="reporter",
            child_identifier="sprout",
            details="Seen at the school gate with the app.",
        )
    )
    assert isinstance(request, DataRequest)
    staff_queue.request_account_link(
        request=request,
        account=holder,
        actor=staff,
        method=LinkMethod.HOLDER_CONFIRMED,
        note="Asked the holder; they said they are 21 and sent an ID.",
    )
    staff_queue.request_reject(request=request, actor=staff, reason="The holder is an adult.")
    holder_client = Client()
    holder_client.force_login(holder)

    center = holder_client.get("/rights/").content.decode()
    detail = holder_client.get(f"/rights/requests/{request.public_id}/")
    export = export_build(user=holder)

    assert request.reference not in center
    assert "whistle@example.org" not in center
    assert detail.status_code == 404
    shown = str(export.data)
    assert request.public_id.hex not in shown and str(request.public_id) not in shown
    assert "whistle@example.org" not in shown
    assert "school gate" not in shown

"""Legal requests (SHR-05): recorded with their assessment and the minimum disclosed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.core.errors import InvalidTransition
from roamwise.governance import legal_requests
from roamwise.governance.legal_requests import InvalidLegalRequest
from roamwise.governance.models import (
    Disclosure,
    LegalRequest,
    LegalRequestEvent,
    LegalRequestStatus,
    LegalRequestSubject,
)
from roamwise.retention.models import LegalHold

from .helpers import back_office

EMAIL = "user.contact.email"


@pytest.fixture
def officer(db: None) -> User:
    return User.objects.create_user(username="officer", is_staff=True)


def received(officer: User) -> LegalRequest:
    return legal_requests.legal_request_create(
        kind=LegalRequest.Kind.COURT_ORDER,
        authority="Westminster Magistrates' Court",
        authority_reference="WMC-2025-118",
        received_at=timezone.now() - dt.timedelta(hours=3),
        legal_basis_cited="Production order, Police and Criminal Evidence Act 1984, Sch. 1",
        scope="The email address and orders of the customer who bought eSIM order 1234.",
        actor=officer,
    )


def assessed(officer: User, *, valid: bool = True) -> LegalRequest:
    return legal_requests.legal_request_assess(
        request=received(officer),
        actor=officer,
        is_valid=valid,
        is_proportionate=valid,
        is_challenged=not valid,
        assessment="Signed by a judge, names one customer; orders are not needed for its purpose.",
    )


@pytest.mark.commitment("SHR-05")
def test_disclosure_records_only_the_chosen_categories_of_the_chosen_customers(
    officer: User, alice: User, bob: User
) -> None:
    request = assessed(officer)

    done = legal_requests.legal_request_disclose(
        request=request,
        actor=officer,
        categories=[EMAIL],
        subject_ids=[str(alice.public_id)],
        decision="Valid and narrowed: the email address only.",
    )

    assert done.status == LegalRequestStatus.DISCLOSED
    assert done.disclosed_categories == [EMAIL]
    assert done.decided_by == officer
    assert done.disclosed_at == done.decided_at
    assert done.is_valid is True and done.is_proportionate is True
    assert list(LegalRequestSubject.objects.values_list("subject_id", flat=True)) == [
        alice.public_id
    ]
    rows = list(Disclosure.objects.values_list("subject_id", "recipient", "categories", "purpose"))
    assert rows == [(alice.public_id, "authority", [EMAIL], "legal")]
    assert Disclosure.objects.get().reference == request.reference
    # The hold keeps exactly the records holding the disclosed category, of alice only.
    holds = LegalHold.objects.filter(kind=LegalHold.Kind.LEGAL_REQUEST)
    assert set(holds.values_list("subject_id", flat=True)) == {alice.public_id}
    assert set(holds.values_list("model", flat=True)) == {
        m.lower() for m in legal_requests.models_holding([EMAIL])
    }
    assert {"accounts.user", "account.emailaddress"} <= set(holds.values_list("model", flat=True))
    assert "accounts.profile" not in set(holds.values_list("model", flat=True))
    assert set(holds.values_list("reference", flat=True)) == {request.reference}
    assert list(
        LegalRequestEvent.objects.filter(request=request).values_list("from_status", "to_status")
    ) == [("", "received"), ("received", "assessed"), ("assessed", "disclosed")]


@pytest.mark.commitment("SHR-05")
def test_the_package_for_the_authority_holds_the_disclosed_categories_only_and_is_logged(
    officer: User, alice: User, bob: User
) -> None:
    request = legal_requests.legal_request_disclose(
        request=assessed(officer),
        actor=officer,
        categories=[EMAIL],
        subject_ids=[alice.public_id],
        decision="Email address only.",
        place_hold=False,
    )

    package = legal_requests.legal_request_package(request=request, actor=officer)

    assert [s.subject_id for s in package] == [alice.public_id]
    values = {
        (r.model, name): value for r in package[0].records for name, value in r.values.items()
    }
    assert values == {
        ("accounts.User", "email"): "alice@example.com",
        ("account.EmailAddress", "email"): "alice@example.com",
    }
    assert "+447911123456" not in repr(package)  # her phone was not asked for
    assert LegalHold.objects.count() == 0
    event = AccessEvent.objects.get()
    assert (event.subject_id, event.action, event.object_type) == (
        alice.public_id,
        "export",
        "governance.LegalRequest",
    )
    assert event.fields == ["account.EmailAddress.email", "accounts.User.email"]
    assert request.reference in event.reason


@pytest.mark.commitment("SHR-05")
def test_a_refused_request_discloses_nothing(officer: User, alice: User) -> None:
    request = assessed(officer, valid=False)

    with pytest.raises(InvalidLegalRequest):
        legal_requests.legal_request_disclose(
            request=request,
            actor=officer,
            categories=[EMAIL],
            subject_ids=[alice.public_id],
            decision="Disclose anyway",
        )
    refused = legal_requests.legal_request_refuse(
        request=request, actor=officer, decision="Not issued by a competent court."
    )

    assert refused.status == LegalRequestStatus.REFUSED
    assert refused.is_challenged is True
    assert refused.decision == "Not issued by a competent court."
    assert refused.disclosed_categories == []
    assert LegalRequestSubject.objects.count() == 0
    assert Disclosure.objects.count() == 0
    assert LegalHold.objects.count() == 0
    with pytest.raises(InvalidLegalRequest):
        legal_requests.legal_request_package(request=refused, actor=officer)
    assert AccessEvent.objects.count() == 0


@pytest.mark.commitment("SHR-05")
def test_nothing_is_disclosed_before_an_assessment(officer: User, alice: User) -> None:
    request = received(officer)

    with pytest.raises(InvalidTransition):
        legal_requests.legal_request_disclose(
            request=request,
            actor=officer,
            categories=[EMAIL],
            subject_ids=[alice.public_id],
            decision="Straight away",
        )
    with pytest.raises(InvalidTransition):
        legal_requests.legal_request_refuse(request=request, actor=officer, decision="No")

    request.refresh_from_db()
    assert request.status == LegalRequestStatus.RECEIVED
    assert Disclosure.objects.count() == 0
    assert LegalHold.objects.count() == 0


@pytest.mark.parametrize(
    ("categories", "subjects", "message"),
    [
        ([], "alice", "at least one category"),
        (["user.secret.diary"], "alice", "Unknown data categories"),
        ([EMAIL], "nobody", "No customer with id"),
        ([EMAIL], "garbage", "is not a customer id"),
    ],
)
def test_a_disclosure_names_known_categories_and_customers(
    officer: User, alice: User, categories: list[str], subjects: str, message: str
) -> None:
    request = assessed(officer)
    ids = {
        "alice": [alice.public_id],
        "nobody": ["00000000-0000-4000-8000-000000000000"],
        "garbage": ["not-a-uuid"],
    }[subjects]

    with pytest.raises(InvalidLegalRequest, match=message):
        legal_requests.legal_request_disclose(
            request=request, actor=officer, categories=categories, subject_ids=ids, decision="x"
        )

    request.refresh_from_db()
    assert request.status == LegalRequestStatus.ASSESSED
    assert Disclosure.objects.count() == 0


def test_a_request_from_the_future_or_without_its_basis_is_refused_at_the_door(
    officer: User,
) -> None:
    with pytest.raises(InvalidLegalRequest, match="future"):
        legal_requests.legal_request_create(
            kind="court_order",
            authority="A court",
            received_at=timezone.now() + dt.timedelta(days=1),
            legal_basis_cited="An order",
            scope="Everything",
            actor=officer,
        )
    with pytest.raises(InvalidLegalRequest, match="legal basis"):
        legal_requests.legal_request_create(
            kind="court_order",
            authority="A court",
            received_at=timezone.now(),
            legal_basis_cited="  ",
            scope="Everything",
            actor=officer,
        )
    assert LegalRequest.objects.count() == 0


@pytest.mark.commitment("SHR-05")
def test_the_privacy_officer_works_a_request_in_the_back_office(alice: User, bob: User) -> None:
    roles.ensure_roles()
    client, member = back_office(roles.PRIVACY_OFFICER, "paula")

    page = client.post(
        "/admin/governance/legalrequest/add/",
        {
            "kind": "law_enforcement",
            "authority": "Metropolitan Police",
            "authority_reference": "MP-77",
            "received_at": "2025-03-01T09:30",
            "legal_basis_cited": "Investigatory Powers Act 2016, s. 61",
            "scope": "Subscriber details for the customer named in the annex.",
        },
    )
    request = LegalRequest.objects.get()
    assert page.status_code == 302
    url = f"/admin/governance/legalrequest/{request.pk}/change/"
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "action": "assess",
            "assess-valid": "yes",
            "assess-proportionate": "yes",
            "assess-assessment": "Authorised notice; subscriber data only.",
        },
    )
    bad = client.post(
        url,
        {
            "action": "disclose",
            "disclose-categories": [EMAIL],
            "disclose-subject_ids": "not-an-id",
            "disclose-decision": "Email only",
        },
    )
    assert bad.status_code == 400
    assert Disclosure.objects.count() == 0
    client.post(
        url,
        {
            "action": "disclose",
            "disclose-categories": [EMAIL, "user.name"],
            "disclose-subject_ids": f"{alice.public_id}\n",
            "disclose-place_hold": "on",
            "disclose-decision": "Email and name only.",
        },
    )
    request.refresh_from_db()
    shown = client.get(url).content.decode()
    download = client.get(f"/admin/governance/legalrequest/{request.pk}/package/")

    assert request.status == LegalRequestStatus.DISCLOSED
    assert request.assessed_by == member and request.decided_by == member
    assert request.disclosed_categories == [EMAIL, "user.name"]
    assert str(alice.public_id) in shown
    listed = shown.split('id="disclosed-categories">', 1)[1].split("</ul>", 1)[0]
    assert listed == "<li>Email address</li><li>Name</li>"
    assert list(Disclosure.objects.values_list("subject_id", flat=True)) == [alice.public_id]
    assert LegalHold.objects.filter(subject_id=alice.public_id).exists()
    assert not LegalHold.objects.filter(subject_id=bob.public_id).exists()
    assert download.status_code == 200
    body = json.loads(download.content)
    assert body["categories"] == [EMAIL, "user.name"]
    assert [s["subject_id"] for s in body["subjects"]] == [str(alice.public_id)]
    assert "+447911123456" not in download.content.decode()
    assert AccessEvent.objects.filter(subject_id=alice.public_id, action="export").count() == 1


@pytest.mark.commitment("SHR-05")
def test_staff_without_the_permission_cannot_see_or_decide_legal_requests(
    officer: User, alice: User
) -> None:
    roles.ensure_roles()
    request = assessed(officer)
    client, _ = back_office(roles.SUPPORT_AGENT, "sam")
    url = f"/admin/governance/legalrequest/{request.pk}/change/"

    assert client.get("/admin/governance/legalrequest/").status_code == 403
    assert client.get(url).status_code == 403
    answer = client.post(
        url,
        {
            "action": "disclose",
            "disclose-categories": [EMAIL],
            "disclose-subject_ids": str(alice.public_id),
            "disclose-decision": "x",
        },
    )
    assert answer.status_code == 403
    assert client.get(f"/admin/governance/legalrequest/{request.pk}/package/").status_code == 403
    assert Disclosure.objects.count() == 0

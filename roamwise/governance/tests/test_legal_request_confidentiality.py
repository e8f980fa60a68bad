"""A legal request whose order forbids telling the customer (no tipping off):
until its date, nothing of it reaches the customer, neither in the privacy
center, nor in the export, nor in an erasure's report; from then on, all of
it does (SHR-03, SHR-05). Staff, retention and erasure see it throughout."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.governance import legal_requests
from roamwise.governance.legal_requests import InvalidLegalRequest
from roamwise.governance.models import Disclosure, LegalRequest, LegalRequestEvent
from roamwise.kernel.disclosures import disclosure_record
from roamwise.retention.models import LegalHold
from roamwise.rights import selectors as rights
from roamwise.rights.erasure import UNDISCLOSED_HOLD
from roamwise.rights.export import export_build, export_html
from roamwise.rights.models import RequestStatus
from roamwise.rights.services.customer import erasure_request_self

from .helpers import back_office

EMAIL = "user.contact.email"
AUTHORITY = "National Crime Agency"
BAR = "Order para. 7: the subject must not be told for 90 days"


@pytest.fixture
def officer(db: None) -> User:
    return User.objects.create_user(username="officer", is_staff=True)


@pytest.fixture
def paid(alice: User) -> None:
    """Alice's name went to the payment processor: a disclosure she always sees."""
    disclosure_record(
        subject_id=alice.public_id, recipient="payment", categories=["user.name"], purpose="billing"
    )


def disclosed(officer: User, subject: User, *, until: dt.datetime | None) -> LegalRequest:
    """A request about ``subject``, disclosed with a hold and packaged for the authority."""
    request = legal_requests.legal_request_create(
        kind=LegalRequest.Kind.LAW_ENFORCEMENT,
        authority=AUTHORITY,
        authority_reference="NCA-77",
        received_at=timezone.now() - dt.timedelta(hours=1),
        legal_basis_cited="Production order, Proceeds of Crime Act 2002, s. 345",
        scope="The account holder's email address.",
        actor=officer,
        confidential_until=until,
        confidentiality_basis=BAR if until else "",
    )
    legal_requests.legal_request_assess(
        request=request,
        actor=officer,
        is_valid=True,
        is_proportionate=True,
        is_challenged=False,
        assessment="Signed by a judge; one customer; the email only.",
    )
    legal_requests.legal_request_disclose(
        request=request,
        actor=officer,
        categories=[EMAIL],
        subject_ids=[subject.public_id],
        decision="The email address only.",
    )
    legal_requests.legal_request_package(request=request, actor=officer)
    request.refresh_from_db()
    return request


def seen_by(customer: User) -> str:
    """Everything the customer can read of their data: the privacy center's
    page, the account's staff-access page and the export (data.json and
    index.html)."""
    client = Client()
    client.force_login(customer)
    page = client.get("/rights/").content.decode()
    page += client.get("/account/data-access/").content.decode()
    export = export_build(user=customer)
    return page + json.dumps(export.data) + export_html(export)


def traces(request: LegalRequest) -> list[str]:
    return [AUTHORITY, request.reference, BAR, "governance.LegalRequest"]


@pytest.mark.commitment("SHR-05")
@pytest.mark.commitment("SHR-03")
def test_a_confidential_request_stays_out_of_the_customers_view_until_its_date(
    officer: User, alice: User, paid: None
) -> None:
    request = disclosed(officer, alice, until=timezone.now() + dt.timedelta(days=90))
    # The records are all there, for staff and for retention and erasure.
    assert Disclosure.objects.filter(subject_id=alice.public_id, recipient="authority").exists()
    assert LegalHold.objects.filter(subject_id=alice.public_id, reference=request.reference)
    assert AccessEvent.objects.filter(subject_id=alice.public_id).count() == 1

    seen = seen_by(alice)

    assert [t for t in traces(request) if t in seen] == []
    assert [d.recipient for d in rights.recipients_of(user=alice)] == ["payment"]
    assert rights.staff_accesses_of(user=alice) == []

    # The bar is lifted (the order allows it now): everything shows at once.
    legal_requests.legal_request_confidentiality_set(request=request, actor=officer, until=None)

    seen = seen_by(alice)

    assert [t for t in traces(request) if t not in seen] == [BAR]  # the bar itself is ours
    assert {d.recipient for d in rights.recipients_of(user=alice)} == {"payment", "authority"}
    assert [e.object_type for e in rights.staff_accesses_of(user=alice)] == [
        "governance.LegalRequest"
    ]


@pytest.mark.commitment("SHR-05")
def test_the_bar_ends_by_itself_on_its_date(officer: User, alice: User) -> None:
    request = disclosed(officer, alice, until=timezone.now() + dt.timedelta(days=1))
    assert request.reference not in seen_by(alice)

    LegalRequest.objects.filter(pk=request.pk).update(
        confidential_until=timezone.now() - dt.timedelta(seconds=1)
    )

    assert request.reference in seen_by(alice)


@pytest.mark.commitment("SHR-05")
@pytest.mark.commitment("RGT-03")
def test_an_erasure_report_does_not_tell_of_a_confidential_request(
    officer: User, alice: User, paid: None
) -> None:
    request = disclosed(officer, alice, until=timezone.now() + dt.timedelta(days=90))

    erasure = erasure_request_self(user=alice)

    assert erasure.status == RequestStatus.COMPLETED
    told = json.dumps(erasure.outcome) + "".join(m.body for m in mail.outbox)
    assert [t for t in traces(request) if t in told] == []
    assert "governance.Disclosure" in told  # the payment disclosures are still reported
    # The hold still keeps the email address readable, under a reason that names no one.
    assert UNDISCLOSED_HOLD in told
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


@pytest.mark.commitment("SHR-05")
def test_a_bar_needs_a_date_ahead_and_what_imposes_it(officer: User) -> None:
    base = {
        "kind": LegalRequest.Kind.COURT_ORDER,
        "authority": AUTHORITY,
        "received_at": timezone.now(),
        "legal_basis_cited": "An order",
        "scope": "The email",
        "actor": officer,
    }
    with pytest.raises(InvalidLegalRequest, match="must be ahead"):
        legal_requests.legal_request_create(
            **base, confidential_until=timezone.now(), confidentiality_basis=BAR
        )
    with pytest.raises(InvalidLegalRequest, match="forbids telling the customer is required"):
        legal_requests.legal_request_create(
            **base, confidential_until=timezone.now() + dt.timedelta(days=1)
        )
    assert LegalRequest.objects.count() == 0


@pytest.mark.commitment("SHR-05")
def test_the_privacy_officer_sets_and_lifts_the_bar_in_the_back_office(db: None) -> None:
    roles.ensure_roles()
    client, _ = back_office(roles.PRIVACY_OFFICER, "paula")
    created = client.post(
        "/admin/governance/legalrequest/add/",
        {
            "kind": "law_enforcement",
            "authority": AUTHORITY,
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "legal_basis_cited": "Production order",
            "scope": "The email address",
            "confidential_until": (timezone.localtime() + dt.timedelta(days=30)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "confidentiality_basis": BAR,
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    request = LegalRequest.objects.get()
    assert request.is_confidential() and request.confidentiality_basis == BAR
    page = client.get(created["Location"]).content.decode()
    assert "Not before" in page and BAR in page

    lifted = client.post(
        created["Location"],
        {"action": "confidentiality", "confidential-confidential_until": ""},
    )

    assert lifted.status_code == 302
    request.refresh_from_db()
    assert not request.is_confidential() and request.confidential_until is None
    assert LegalRequestEvent.objects.filter(request=request, note="bar on telling lifted").exists()
    refused = client.post(
        created["Location"],
        {
            "action": "confidentiality",
            "confidential-confidential_until": "2001-01-01T00:00",
            "confidential-confidentiality_basis": BAR,
        },
    )
    assert refused.status_code == 400
    assert "must be ahead" in refused.content.decode()

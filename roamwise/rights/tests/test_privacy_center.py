"""The privacy center: everything held, by category, from the data map
(RGT-01); edit what is editable and ask for a correction of the rest, with
files (RGT-02); objection and restriction recorded as requests (RGT-06)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from roamwise.accounts.models import User
from roamwise.audit.services import Access, access_record
from roamwise.consent.selectors import has_consent
from roamwise.consent.services import consent_record
from roamwise.datamap.registry import data_map
from roamwise.datamap.vocabulary import CATEGORIES
from roamwise.kernel.disclosures import disclosure_record
from roamwise.rights import selectors
from roamwise.rights.models import DataRequest, DataRequestFile, RequestKind, RequestStatus
from roamwise.testing.helpers import PNG, committed, rows_containing


@pytest.mark.commitment("RGT-01")
def test_the_account_settings_page_links_to_the_privacy_center(buyer: Client) -> None:
    page = buyer.get("/account/").content.decode()

    assert 'href="/rights/"' in page
    assert buyer.get("/rights/").status_code == 200


@pytest.mark.commitment("RGT-01")
def test_the_privacy_center_shows_every_category_held_from_the_data_map(
    buyer: Client, alice: User, bob: User, staff: User
) -> None:
    consent_record(purpose="analytics", granted=True, source="settings", user=alice)
    disclosure_record(
        subject_id=alice.public_id,
        recipient="payment",
        categories=["user.financial"],
        purpose="billing",
        reference="order 1",
    )
    access_record(
        Access(
            actor=staff,
            subject=alice,
            obj=alice,
            fields=("email",),
            action="view",
            reason="Ticket 7: address check",
        )
    )

    response = buyer.get("/rights/")

    assert response.status_code == 200
    groups = response.context["groups"]
    shown = {group.category for group in groups}
    # Exactly the categories of the fields of every declaration holding rows of alice.
    expected = {f.category for d in data_map if d.rows_of(alice).exists() for f in d.fields}
    assert shown == expected
    assert {"user.contact.email", "user.consent", "user.privacy.staff_access"} <= shown
    page = response.content.decode()
    for category in expected:
        assert CATEGORIES[category] in page
    assert "alice@example.com" in page and "+447911123456" in page
    assert "bob@example.com" not in page
    # Consents, recipients and staff accesses have their own sections.
    assert response.context["recipients"][0].recipient == "payment"
    assert response.context["accesses"][0].reason == "Ticket 7: address check"
    assert response.context["consents"]["choices"]["analytics"] is True
    # Where it is stored, from the data map's locations.
    assert [place.label for place in response.context["storage"]] == ["Primary database"]
    # A password hash is listed as held, never shown.
    assert alice.password not in page
    assert selectors.WITHHELD in page


@pytest.mark.commitment("RGT-01")
def test_another_customer_sees_only_their_own(client: Client, alice: User, bob: User) -> None:
    client.force_login(bob)

    page = client.get("/rights/").content.decode()

    assert "bob@example.com" in page
    assert "alice@example.com" not in page
    assert Client().get("/rights/")["Location"].startswith("/accounts/login/")


@pytest.mark.commitment("RGT-02")
def test_every_editable_field_of_the_data_map_has_an_editor_and_the_rest_a_correction_link(
    buyer: Client,
) -> None:
    editable = {f"{m}.{f}" for m, f in selectors.editable_fields()}

    page = buyer.get("/rights/").content.decode()

    # The editors are the data map's: nothing else lists them.
    assert (
        editable
        == set(selectors.editors())
        == {
            "accounts.User.first_name",
            "accounts.User.last_name",
            "accounts.Profile.phone",
            "accounts.Profile.currency",
        }
    )
    assert 'href="/rights/name/"' in page and 'href="/account/phone/"' in page
    assert 'href="/currency/"' in page
    assert "/rights/correction/?field=accounts.User.email" in page
    # A credential is held and not shown: there is nothing to correct in it.
    assert "/rights/correction/?field=accounts.User.password" not in page


@pytest.mark.commitment("RGT-02")
def test_the_customer_edits_their_name_themselves(buyer: Client, alice: User) -> None:
    response = buyer.post("/rights/name/", {"first_name": "Alice", "last_name": "Liddell"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name) == ("Alice", "Liddell")
    assert "Liddell" in buyer.get("/rights/").content.decode()


@pytest.mark.commitment("RGT-02")
def test_a_correction_request_carries_encrypted_files_to_staff(
    buyer: Client, alice: User, bob: User, jobs: object
) -> None:
    evidence = SimpleUploadedFile("passport-scan.png", PNG, content_type="image/png")

    response = committed(
        lambda: buyer.post(
            "/rights/correction/",
            {
                "fields_to_correct": ["accounts.User.email"],
                "details": "My email is alice@example.net now.",
                "evidence": [evidence],
            },
        )
    )
    jobs()  # type: ignore[operator]

    data_request = DataRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rights/requests/{data_request.public_id}/"
    assert data_request.kind == RequestKind.CORRECTION
    assert data_request.status == RequestStatus.IN_PROGRESS
    assert data_request.user == alice
    assert "accounts.User.email" in data_request.details
    stored = DataRequestFile.objects.get()
    assert (stored.filename, stored.content_type, stored.size) == (
        "passport-scan.png",
        "image/png",
        len(PNG),
    )
    assert bytes(stored.content) == PNG
    # Encrypted at rest: neither the file name nor the text is readable in the database.
    assert rows_containing("passport-scan") == []
    assert rows_containing("alice@example.net") == []
    # The customer and the privacy team are told; the team's email carries no personal data.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "privacy@roamwise.example"]
    staff_mail = next(m for m in mail.outbox if m.to == ["privacy@roamwise.example"])
    assert "alice" not in staff_mail.body.lower()
    # The customer downloads their own file; another customer gets a 404.
    url = f"/rights/requests/{data_request.public_id}/files/{stored.public_id}/"
    download = buyer.get(url)
    assert download.status_code == 200 and download.content == PNG
    other = Client()
    other.force_login(bob)
    assert other.get(url).status_code == 404
    assert other.get(f"/rights/requests/{data_request.public_id}/").status_code == 404


@pytest.mark.commitment("RGT-02")
@pytest.mark.parametrize(
    ("name", "content", "content_type", "error"),
    [
        ("fake.png", b"MZ\x90\x00 not a png", "image/png", "is not a valid image/png file"),
        ("run.exe", b"MZ\x90\x00", "application/octet-stream", "cannot be attached"),
        ("huge.txt", b"a" * (5 * 1024 * 1024 + 1), "text/plain", "larger than 5 MB"),
    ],
)
def test_correction_files_are_limited_in_type_and_size(
    buyer: Client, name: str, content: bytes, content_type: str, error: str
) -> None:
    upload = SimpleUploadedFile(name, content, content_type=content_type)

    response = buyer.post(
        "/rights/correction/", {"details": "Wrong date of birth.", "evidence": [upload]}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not DataRequest.objects.exists()
    assert not DataRequestFile.objects.exists()


@pytest.mark.commitment("RGT-06")
def test_objection_and_restriction_apply_at_once_and_are_recorded_as_requests(
    buyer: Client, alice: User
) -> None:
    consent_record(purpose="marketing", granted=True, source="settings", user=alice)
    consent_record(purpose="analytics", granted=True, source="settings", user=alice)
    assert has_consent(purpose="marketing", user=alice)

    buyer.post("/rights/objections/", {"marketing": "on"})

    objection = DataRequest.objects.get()
    assert (objection.kind, objection.status) == (RequestKind.OBJECTION, RequestStatus.COMPLETED)
    assert objection.outcome == {"scope": "marketing", "active": True}
    assert not has_consent(purpose="marketing", user=alice)
    assert has_consent(purpose="analytics", user=alice)

    buyer.post("/rights/objections/", {"marketing": "on", "restriction": "on"})

    restriction = DataRequest.objects.exclude(pk=objection.pk).get()
    assert (restriction.kind, restriction.status) == (
        RequestKind.RESTRICTION,
        RequestStatus.COMPLETED,
    )
    assert not has_consent(purpose="analytics", user=alice)
    # Saving the same switches again records nothing new.
    buyer.post("/rights/objections/", {"marketing": "on", "restriction": "on"})
    assert DataRequest.objects.count() == 2
    page = buyer.get("/rights/").content.decode()
    assert objection.reference in page and restriction.reference in page


@pytest.mark.commitment("RGT-02")
def test_correction_is_offered_only_for_what_a_customer_knows_about(
    buyer: Client, alice: User
) -> None:
    from roamwise.rights.selectors import correctable_fields

    offered = dict(correctable_fields())
    assert "orders.Order.billing_address" in offered
    assert "accounts.Profile.date_of_birth" in offered
    # Identifiers, logs and search indexes are not the customer's to correct.
    assert not any(key.endswith("_index") for key in offered)
    assert "accounts.LoginEvent.country" not in offered
    assert all("accounts." not in label and "orders." not in label for label in offered.values())
    page = buyer.get("/rights/").content.decode()
    assert "/rights/correction/?field=accounts.LoginEvent" not in page
    form = buyer.get("/rights/correction/").content.decode()
    assert form.count('name="fields_to_correct"') == len(offered)


@pytest.mark.commitment("RGT-01")
def test_the_privacy_center_summarises_each_category_in_plain_words_and_local_dates(
    buyer: Client, alice: User
) -> None:
    import re

    from roamwise.accounts.services import login_record

    login_record(user=alice, user_agent="Mozilla/5.0 (iPhone)", ip="81.56.0.1")
    page = buyer.get("/rights/").content.decode()
    held = page[page.index('id="held"') : page.index('id="consents-heading"')]
    # A summary per category, with counts; the detail behind "show all".
    assert 'class="category-summary"' in held and "<details" in held and "Show all" in held
    # No internal model names or category codes, no raw ISO timestamps.
    text = re.sub(r"<[^>]+>", " ", held)
    assert "accounts.LoginEvent" not in text and "user.behavior.session" not in text, text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)


def test_a_requests_history_names_its_states_in_words(buyer: Client, alice: User) -> None:
    from roamwise.rights.models import DataRequest

    buyer.post("/rights/access/")
    request = DataRequest.objects.get()
    page = buyer.get(f"/rights/requests/{request.public_id}/").content.decode()
    import re

    moves = re.findall(r"<li>[^<]*?\d{2}:\d{2}: ([^<]+?)\s*</li>", page)
    assert [move.split(" ")[0] for move in moves] == ["Received", "In", "Completed"], moves
    assert moves[1].startswith("In progress")
    assert not re.search(r"\d{2}:\d{2}: (received|in_progress|completed)\b", page)


@pytest.mark.commitment("RGT-01")
@pytest.mark.parametrize(
    ("language", "orders", "emails", "described"),
    [
        ("de", "Ihre Bestellungen", "E-Mail-Adressen", "Der Verlauf jeder Bestellung."),
        ("ja", "ご注文", "メールアドレス", "各注文の履歴。"),
        ("en", "Your orders", "Email addresses", "The history of each order."),
    ],
)
def test_the_privacy_center_names_and_describes_each_source_in_the_readers_language(
    buyer: Client,
    alice: User,
    plan: object,
    language: str,
    orders: str,
    emails: str,
    described: str,
) -> None:
    from roamwise.testing.shopping import paid_order

    paid_order(alice, plan)  # type: ignore[arg-type]
    User.objects.filter(pk=alice.pk).update(language=language)

    response = buyer.get("/rights/")

    page = response.content.decode()
    labels = {s.label for group in response.context["groups"] for s in group.sources}
    assert {orders, emails} <= labels
    assert orders in page and emails in page
    # The description beneath each label is in the reader's language too.
    descriptions = {s.description for group in response.context["groups"] for s in group.sources}
    assert described in descriptions
    assert escape(described) in page
    # Where it is stored names the same labels, never the internal model names.
    (place,) = response.context["storage"]
    assert orders in place.sources and emails in place.sources
    text = re.sub(r"<[^>]+>", " ", page)  # what a reader sees, not link targets
    assert "accounts.LoginEvent" not in text and "orders.Order" not in text


def test_every_declaration_has_a_label_and_the_check_says_when_one_has_none() -> None:
    import dataclasses

    from roamwise.datamap.checks import check_declaration

    assert all(str(d.label).strip() for d in data_map)
    unlabelled = dataclasses.replace(data_map.declarations["orders.order"], label="")
    assert "datamap.E024" in [e.id for e in check_declaration(unlabelled)]

"""The download of everything (RGT-04): a ZIP whose data.json validates against
the documented schema and holds exactly the data map's categories, and whose
index.html is a readable page with no external asset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.test import Client

from roamwise.accounts.models import Profile, User
from roamwise.catalog.models import Plan
from roamwise.consent.services import consent_record
from roamwise.datamap.registry import data_map
from roamwise.kernel.disclosures import disclosure_record
from roamwise.orders.services import order_create
from roamwise.rights import export
from roamwise.rights.export import SCHEMA_PATH, export_build, export_schema
from roamwise.rights.models import DataRequest, RequestKind, RequestStatus
from roamwise.rights.selectors import WITHHELD
from roamwise.support import services as support
from roamwise.support.attachments import Upload
from roamwise.testing.helpers import PNG, committed
from roamwise.testing.shopping import BILLING

from .conftest import zip_members

ROOT = Path(__file__).resolve().parents[3]


def documented_schema() -> dict:
    text = (ROOT / "docs" / "export-schema.md").read_text()
    block = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    assert block, "docs/export-schema.md has no JSON Schema block"
    return json.loads(block.group(1))


@pytest.fixture
def held(alice: User) -> None:
    """Data of several kinds: a support ticket with a file, consent, a disclosure."""
    committed(
        lambda: support.ticket_open(
            customer=alice,
            category="technical",
            title="No signal in Lisbon",
            body="Roaming is on.",
            uploads=[Upload("screen.png", "image/png", PNG)],
        )
    )
    consent_record(purpose="marketing", granted=False, source="banner", user=alice)
    disclosure_record(
        subject_id=alice.public_id,
        recipient="smdp",
        categories=["user.device.sim"],
        purpose="service",
        reference="esim 1",
    )


@pytest.mark.commitment("RGT-04")
def test_the_documented_schema_is_the_one_shipped() -> None:
    assert documented_schema() == export_schema()
    assert json.loads(SCHEMA_PATH.read_text())["properties"]["schema_version"] == {"const": "1.0"}


@pytest.mark.commitment("RGT-04")
@pytest.mark.commitment("RGT-01")
def test_the_zip_holds_data_json_and_index_html_matching_the_data_map(
    buyer: Client, alice: User, bob: User, held: None
) -> None:
    response = buyer.post("/rights/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="roamwise-data-')
    members = zip_members(response.content)
    assert {"data.json", "index.html", "schema.json"} <= set(members)
    data = json.loads(members["data.json"])
    jsonschema.validate(data, documented_schema(), format_checker=jsonschema.FormatChecker())
    assert data["schema_version"] == "1.0"
    assert data["subject"] == {"id": str(alice.public_id), "username": "alice"}

    # Categories and sources are exactly the data map's, for what is held of alice.
    holding = [d for d in data_map if d.rows_of(alice).exists()]
    assert [s["model"] for s in data["sources"]] == [d.model for d in holding]
    assert {c["id"] for c in data["categories"]} == {f.category for d in holding for f in d.fields}
    for source in data["sources"]:
        declaration = next(d for d in holding if d.model == source["model"])
        assert len(source["records"]) == declaration.rows_of(alice).count()
        assert {f["name"] for f in source["fields"]} == declaration.field_names
        for record in source["records"]:
            assert set(record["values"]) == declaration.field_names

    by_model = {s["model"]: s for s in data["sources"]}
    (user_record,) = by_model["accounts.User"]["records"]
    assert user_record["values"]["email"] == "alice@example.com"
    assert user_record["values"]["password"] == WITHHELD
    assert by_model["accounts.Profile"]["records"][0]["values"]["phone"] == "+447911123456"
    (ticket,) = by_model["support.Ticket"]["records"]
    assert ticket["values"]["title"] == "No signal in Lisbon"
    assert ticket["values"]["customer"] == str(alice.public_id)
    # The attachment is a file of the ZIP, referenced from data.json.
    (attachment,) = by_model["support.TicketAttachment"]["records"]
    reference = attachment["values"]["content"]
    assert reference["size"] == len(PNG)
    assert members[reference["$file"]] == PNG
    # Rows without encrypted fields are read as tuples: the same values.
    (choice,) = by_model["consent.ConsentRecord"]["records"]
    assert {k: choice["values"][k] for k in ("purpose", "granted", "source", "visitor_id")} == {
        "purpose": "marketing",
        "granted": False,
        "source": "banner",
        "visitor_id": "",
    }
    assert choice["values"]["created_at"].startswith(str(alice.date_joined.year))
    # Consents, recipients and this request itself.
    assert data["consents"]["choices"]["marketing"] is False
    assert [(r["recipient"], r["categories"]) for r in data["recipients"]] == [
        ("smdp", ["user.device.sim"])
    ]
    (export_request,) = data["requests"]
    assert (export_request["kind"], export_request["status"]) == ("export", "completed")
    assert data["storage"] == [
        {"location": "primary", "label": "Primary database", "sources": list(by_model)}
    ]
    # Nothing of bob's.
    assert b"bob@example.com" not in members["data.json"]
    assert b"bob@example.com" not in members["index.html"]

    page = members["index.html"].decode()
    assert page.startswith("<!DOCTYPE html>")
    assert "No signal in Lisbon" in page and "alice@example.com" in page
    for category in data["categories"]:
        assert f'id="{category["id"]}"' in page
    # Readable offline: no script, no external stylesheet, image or font.
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(" not in page


@pytest.mark.commitment("RGT-04")
def test_the_export_is_recorded_as_a_request_answered_at_once(buyer: Client, alice: User) -> None:
    buyer.post("/rights/export/")

    request = DataRequest.objects.get()
    assert (request.kind, request.status, request.user) == (
        RequestKind.EXPORT,
        RequestStatus.COMPLETED,
        alice,
    )
    assert list(request.events.values_list("to_status", flat=True)) == [
        "received",
        "in_progress",
        "completed",
    ]


@pytest.mark.commitment("RGT-04")
def test_the_export_needs_a_signed_in_customer(client: Client, alice: User) -> None:
    response = client.post("/rights/export/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not DataRequest.objects.exists()
    assert client.get("/rights/export/").status_code in (302, 405)


@pytest.mark.commitment("RGT-01")
def test_a_formal_access_request_is_answered_at_once(buyer: Client, alice: User) -> None:
    response = buyer.post("/rights/access/", follow=True)

    request = DataRequest.objects.get()
    assert (request.kind, request.status) == (RequestKind.ACCESS, RequestStatus.COMPLETED)
    assert "Your access request is answered" in response.content.decode()


@pytest.mark.commitment("RGT-04")
def test_records_are_named_as_the_shop_names_them_and_references_match(
    alice: User, plan: Plan
) -> None:
    order = order_create(customer=alice, plan=plan, billing=BILLING)
    committed(
        lambda: support.ticket_open(
            customer=alice,
            category="question",
            title="About my order",
            body="When does it start?",
            order=order,
        )
    )

    data = export_build(user=alice).data

    records = {s["model"]: s["records"] for s in data["sources"]}
    assert [r["id"] for r in records["orders.Order"]] == [str(order.public_id)]
    assert records["support.Ticket"][0]["values"]["order"] == str(order.public_id)
    # A kind of record without a public id is named by its number.
    profile = Profile.objects.get(user=alice)
    assert [r["id"] for r in records["accounts.Profile"]] == [str(profile.pk)]


@pytest.mark.commitment("RGT-04")
def test_the_readable_page_shows_the_first_rows_of_a_long_list_and_data_json_all(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "HTML_ROWS", 1)
    consent_record(purpose="marketing", granted=True, source="banner", user=alice)
    consent_record(purpose="marketing", granted=False, source="settings", user=alice)

    built = export_build(user=alice)
    page = export.export_html(built)

    records = {s["model"]: s["records"] for s in built.data["sources"]}
    assert len(records["consent.ConsentRecord"]) == 2
    assert "The first 1 of 2 records; data.json holds every one." in page

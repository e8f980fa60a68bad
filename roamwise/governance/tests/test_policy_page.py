"""The public privacy policy page: its sections come from the data map (POL-01),
its contacts from settings (POL-03), its recipients from the registry (SHR-02)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils.html import escape

from roamwise.accounts.models import User
from roamwise.datamap.registry import Declaration, Erasure, PersonalField, Retention, data_map
from roamwise.datamap.vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS
from roamwise.governance.models import PolicyVersion
from roamwise.governance.selectors import record_name
from roamwise.kernel.processors import processor_registry

from .conftest import published


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def row(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">.*?</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return match.group(0)


def anchor(declaration: Declaration) -> str:
    return declaration.model.lower().replace(".", "-")


def reaching(recipient: str) -> set[str]:
    """What the recipient receives in this deployment: what its adapters in use
    send (the payment processor's is one of two), or, without an adapter, all
    the declarations list (SHR-02)."""
    if data_map.sends_to(recipient):
        return {c for s in data_map.sends_to(recipient, active_only=True) for c in s.categories}
    return data_map.declared_for(recipient)


def assert_page_matches_data_map(page: str) -> None:
    collected = section(page, "what-we-collect")
    why = section(page, "why")
    how_long = section(page, "how-long")
    receives = section(page, "who-receives-it")
    stored = section(page, "where-stored")
    for d in data_map:
        name = escape(record_name(d))
        line = row(collected, f"collect-{anchor(d)}")
        assert name in line, d.model
        for category in d.categories:
            assert escape(CATEGORIES[category]) in line, (d.model, category)
        for purpose in d.purposes:
            purpose_row = row(why, f"purpose-{purpose}")
            assert escape(PURPOSES[purpose]) in purpose_row
            assert escape(LEGAL_BASES[d.legal_basis]) in purpose_row, (d.model, purpose)
            for category in d.categories:
                assert escape(CATEGORIES[category]) in purpose_row, (d.model, purpose, category)
        retention = row(how_long, f"retention-{anchor(d)}")
        assert name in retention and escape(d.retention.describe()) in retention, d.model
        for recipient in d.recipients:
            recipient_row = row(receives, f"recipient-{recipient}")
            assert escape(RECIPIENTS[recipient]) in recipient_row
            for category in set(d.categories_for(recipient)) & reaching(recipient):
                assert escape(CATEGORIES[category]) in recipient_row, (d.model, recipient)
        storage = re.search(rf'<li id="storage-{d.location}">.*?</ul>', stored, re.S)
        assert storage and escape(LOCATIONS[d.location]) in storage.group(0), d.model
        assert name in storage.group(0), d.model


@pytest.mark.commitment("POL-01")
def test_the_page_sections_match_the_data_map_exactly(client: Client, db: None) -> None:
    page = client.get("/privacy/").content.decode()

    assert_page_matches_data_map(page)
    # No more rows than declarations: nothing on the page comes from elsewhere.
    assert section(page, "what-we-collect").count('<tr id="collect-') == len(data_map)
    assert section(page, "how-long").count('<tr id="retention-') == len(data_map)
    used_purposes = {p for d in data_map for p in d.purposes}
    assert section(page, "why").count('<tr id="purpose-') == len(used_purposes)


@pytest.mark.commitment("POL-01")
def test_a_new_declaration_changes_the_page(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client.get("/privacy/").content.decode()
    assert "Boarding passes you uploaded" not in before
    declaration = Declaration(
        model="catalog.Plan",
        subject=lambda user: None,  # type: ignore[arg-type,return-value]
        description="Boarding passes you uploaded",
        fields=(PersonalField("name", "user.device.imei"),),
        purposes=("children",),
        legal_basis="consent",
        retention=Retention.after(17, summary="17 days after your flight"),
        erasure=Erasure.delete(),
        recipients=("smdp",),
    )
    monkeypatch.setitem(data_map.declarations, "catalog.plan", declaration)
    # ...and the SM-DP+'s adapter is changed to send it (the check holds the two equal).
    es2plus = data_map.sends["roamwise.esims.es2plus"]
    monkeypatch.setitem(
        data_map.sends,
        "roamwise.esims.es2plus",
        replace(es2plus, categories=(*es2plus.categories, "user.device.imei")),
    )

    after = client.get("/privacy/").content.decode()

    assert_page_matches_data_map(after)
    assert "Boarding passes you uploaded" in row(
        section(after, "what-we-collect"), "collect-catalog-plan"
    )
    assert "17 days after your flight" in row(section(after, "how-long"), "retention-catalog-plan")
    # The new category now reaches the SM-DP+ row of the registry, and the purpose row its basis.
    assert "Device IMEI" in row(section(after, "who-receives-it"), "recipient-smdp")
    assert "Device IMEI" not in row(section(before, "who-receives-it"), "recipient-smdp")
    assert "Your consent" in row(section(after, "why"), "purpose-children")
    assert "Your consent" not in row(section(before, "why"), "purpose-children")


@pytest.mark.commitment("POL-01")
def test_the_version_in_force_is_shown_with_its_dates_and_earlier_ones_are_readable(
    client: Client, in_force: PolicyVersion
) -> None:
    current = published(
        "2025-09",
        effective=datetime(2025, 9, 1, tzinfo=UTC),
        published_at=datetime(2025, 8, 1, tzinfo=UTC),
        significant=True,
        body="## Our promise\n\nWe keep **as little** as we can.",
        summary="Rewritten in full.",
    )

    page = client.get("/privacy/").content.decode()

    dates = re.search(r'<p class="policy-dates" id="policy-dates">.*?</p>', page, re.S)
    assert dates is not None
    assert "Version 2025-09" in dates.group(0)
    assert 'Last updated: <time datetime="2025-08-01">1 August 2025</time>' in dates.group(0)
    assert 'Effective: <time datetime="2025-09-01">1 September 2025</time>' in dates.group(0)
    assert '<h2 id="our-promise">Our promise</h2>' in page and "<strong>as little</strong>" in page
    earlier = section(page, "earlier-versions")
    assert 'href="/privacy/versions/2025-01/"' in earlier
    assert 'href="/privacy/versions/2025-09/"' not in earlier
    old = client.get("/privacy/versions/2025-01/").content.decode()
    assert "The text of 2025-01." in old and "no longer in force" in old
    assert current.version in client.get("/privacy/versions/2025-09/").content.decode()
    assert client.get("/privacy/versions/1999-01/").status_code == 404


def test_a_draft_is_neither_in_force_nor_readable(client: Client, in_force: PolicyVersion) -> None:
    PolicyVersion.objects.create(
        version="draft-1", body="Secret draft", effective_at=datetime(2020, 1, 1, tzinfo=UTC)
    )

    page = client.get("/privacy/").content.decode()

    assert "Secret draft" not in page and "draft-1" not in page
    assert client.get("/privacy/versions/draft-1/").status_code == 404


@pytest.mark.commitment("POL-01")
def test_markdown_is_rendered_without_raw_html_or_script_links(client: Client, db: None) -> None:
    published(
        "2025-01",
        effective=datetime(2025, 1, 1, tzinfo=UTC),
        body=(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
            "[click](javascript:alert(3)) and [ok](https://example.org/ok)"
        ),
    )

    body = re.search(
        r'<div class="policy-body" id="policy-body">(.*?)</div>',
        client.get("/privacy/").content.decode(),
        re.S,
    )

    assert body is not None
    html = body.group(1)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(3))", "")
    assert 'href="javascript' not in html
    assert '<a href="https://example.org/ok">ok</a>' in html


@pytest.mark.commitment("SHR-01")
def test_the_page_says_no_data_is_sold(client: Client, db: None) -> None:
    page = client.get("/privacy/").content.decode()

    assert "We never sell, trade or rent your personal data." in page
    assert "We never sell, trade or rent your personal data." in section(page, "who-receives-it")


@pytest.mark.commitment("SHR-02")
@pytest.mark.commitment("RET-09")
def test_every_processor_is_on_the_page_with_location_and_safeguard(
    client: Client, db: None
) -> None:
    receives = section(client.get("/privacy/").content.decode(), "who-receives-it")

    registry = processor_registry()
    assert receives.count('<tr id="recipient-') == len(RECIPIENTS) == len(registry)
    for code, processor in registry.items():
        line = row(receives, f"recipient-{code}")
        assert escape(processor.name) in line
        assert escape(processor.role) in line
        assert escape(processor.purpose) in line
        for location in processor.location_labels:
            assert escape(location) in line
        assert escape(processor.safeguard_label) in line
    network = row(receives, "recipient-network")
    assert "Standard Contractual Clauses" in network
    assert "Worldwide" in network


@pytest.mark.commitment("POL-03")
def test_contacts_dpo_and_eu_representative_come_from_settings(
    client: Client, db: None, settings: object
) -> None:
    settings.PRIVACY_EMAIL = "privacy@shop.example"  # type: ignore[attr-defined]
    settings.PRIVACY_PHONE = "+33 1 23 45 67 89"  # type: ignore[attr-defined]
    settings.PRIVACY_ADDRESS = "Shop SAS, 5 rue Exemple, Paris"  # type: ignore[attr-defined]
    settings.DPO_NAME = "Data Protection Office of Shop SAS"  # type: ignore[attr-defined]
    settings.DPO_EMAIL = "dpo@shop.example"  # type: ignore[attr-defined]
    settings.EU_REPRESENTATIVE_NAME = "Shop EU Rep GmbH"  # type: ignore[attr-defined]
    settings.EU_REPRESENTATIVE_ADDRESS = "1 Beispielweg, Berlin"  # type: ignore[attr-defined]
    settings.EU_REPRESENTATIVE_EMAIL = "eu@shop.example"  # type: ignore[attr-defined]

    for path in ("/privacy/", "/support/complaints/"):
        page = client.get(path).content.decode()
        assert "dpo@shop.example" in page, path
        assert "Data Protection Office of Shop SAS" in page, path
        assert "Shop EU Rep GmbH, 1 Beispielweg, Berlin" in page, path
        assert 'href="mailto:eu@shop.example"' in page, path
    contact = section(client.get("/privacy/").content.decode(), "privacy-contact")
    assert 'href="mailto:privacy@shop.example"' in contact
    assert 'href="tel:+33123456789"' in contact
    assert "Shop SAS, 5 rue Exemple, Paris" in contact

    settings.EU_REPRESENTATIVE_NAME = ""  # type: ignore[attr-defined]
    assert "eu-representative" not in client.get("/privacy/").content.decode()
    assert "complaint-eu-representative" not in client.get("/support/complaints/").content.decode()


@pytest.mark.commitment("RET-08")
def test_the_page_says_where_data_is_stored(client: Client, alice: User, settings: object) -> None:
    settings.DATA_REGION = "eu"  # type: ignore[attr-defined]
    stored = section(client.get("/privacy/").content.decode(), "where-stored")
    assert "Our databases are in the European Union." in stored
    assert "your-storage-location" not in stored

    client.force_login(alice)
    stored = section(client.get("/privacy/").content.decode(), "where-stored")
    assert (
        '<strong id="your-storage-location">Your personal data is stored in the European Union.'
        "</strong>" in stored
    )

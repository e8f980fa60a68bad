"""Terms of sale: versioned like the privacy policy, with the seller's details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from roamwise.governance import selectors, services
from roamwise.governance.models import PolicyDocument, PolicyVersion
from roamwise.governance.rendering import heading_ids
from roamwise.kernel import policies


@pytest.fixture
def loaded(db: None) -> None:
    call_command("policy_load")


def test_terms_load_beside_the_privacy_policy(loaded: None) -> None:
    terms = PolicyVersion.objects.get(document=PolicyDocument.TERMS)

    assert terms.version == "2026-12"
    assert policies.policy_in_force(document=PolicyDocument.TERMS) == terms
    assert policies.terms_version_label() == "2026-12"
    # The privacy policy in force is still the privacy policy's.
    assert policies.policy_in_force().document == PolicyDocument.PRIVACY  # type: ignore[union-attr]


def test_the_setting_stands_in_until_terms_are_published(db: None, settings: object) -> None:
    settings.TERMS_OF_SALE_VERSION = "2026-01"  # type: ignore[attr-defined]

    assert policies.terms_version_label() == "2026-01"


def test_a_label_may_repeat_across_documents_not_within_one(db: None, tmp_path: object) -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    PolicyVersion.objects.create(
        document="privacy", version="2026-12", body="p", effective_at=moment, published_at=moment
    )
    PolicyVersion.objects.create(
        document="terms", version="2026-12", body="t", effective_at=moment, published_at=moment
    )

    assert selectors.policy_version_get(label="2026-12", document="terms").body == "t"  # type: ignore[union-attr]
    assert selectors.policy_version_get(label="2026-12").body == "p"  # type: ignore[union-attr]


def test_shipped_terms_cannot_change_once_published(loaded: None) -> None:
    PolicyVersion.objects.filter(document="terms").update(body="another text")

    with pytest.raises(services.PolicyError):
        services.policy_load(document=PolicyDocument.TERMS)


def test_terms_page_shows_refunds_withdrawal_and_seller(
    client: Client, loaded: None, settings: object
) -> None:
    settings.SELLER_LEGAL_NAME = "Voyage Data GmbH"  # type: ignore[attr-defined]
    settings.SELLER_VAT_NUMBER = "DE999999999"  # type: ignore[attr-defined]
    settings.SELLER_REGISTRATION = "HRB 12345, Amtsgericht Berlin"  # type: ignore[attr-defined]
    settings.SELLER_ADDRESS = "1 Beispielstraße, 10115 Berlin"  # type: ignore[attr-defined]

    text = client.get("/terms/").content.decode()

    assert "Version 2026-12" in text
    assert 'id="refunds"' in text
    assert 'id="right-of-withdrawal"' in text
    assert "lose your right of withdrawal" in text
    for value in ("Voyage Data GmbH", "DE999999999", "HRB 12345, Amtsgericht Berlin"):
        assert value in text
    assert "1 Beispielstraße, 10115 Berlin" in text


def test_each_terms_version_has_its_page(client: Client, loaded: None) -> None:
    assert client.get("/terms/versions/2026-12/").status_code == 200
    assert client.get("/terms/versions/1999-01/").status_code == 404
    # A privacy policy label is not a terms version.
    assert client.get("/terms/versions/2025-01/").status_code == 404


def test_company_page_shows_the_seller(client: Client, settings: object) -> None:
    settings.SELLER_VAT_NUMBER = "GB000000042"  # type: ignore[attr-defined]

    text = client.get("/company/").content.decode()

    assert "GB000000042" in text
    assert "Registered address" in text


TERMS_DIRECTORY = services.POLICY_DIRECTORIES[PolicyDocument.TERMS]
LOCALES = ("de", "fr", "es", "it", "ja", "zh_Hans")


def test_every_shipped_version_of_the_terms_is_translated_section_for_section() -> None:
    for item in services.policy_files_read(TERMS_DIRECTORY):
        original = heading_ids(item.body)
        for locale in LOCALES:
            path = TERMS_DIRECTORY / f"{item.version}.{locale}.md"
            assert path.is_file(), f"{path.name} is missing"
            text = path.read_text(encoding="utf-8")
            assert len(heading_ids(text)) == len(original), path.name
            for mark in ("- ", "> "):
                count = sum(line.startswith(mark) for line in text.splitlines())
                assert count == sum(line.startswith(mark) for line in item.body.splitlines())


@pytest.mark.parametrize(
    ("language", "refunds", "withdrawal"),
    [
        ("de", "Erstattungen", "Widerrufsrecht"),
        ("fr", "Remboursements", "Droit de rétractation"),
        ("es", "Reembolsos", "Derecho de desistimiento"),
        ("it", "Rimborsi", "Diritto di recesso"),
        ("ja", "返金", "撤回権"),
        ("zh-hans", "退款", "撤回权"),
    ],
)
def test_the_terms_page_reads_in_the_visitors_language_with_the_same_anchors(
    client: Client, loaded: None, language: str, refunds: str, withdrawal: str
) -> None:
    page = client.get("/terms/", headers={"Accept-Language": language}).content.decode()

    assert f'<h2 id="refunds">{refunds}</h2>' in page
    assert f'<h2 id="right-of-withdrawal">{withdrawal}</h2>' in page
    assert 'id="translation-note"' in page and f'lang="{language}"' in page
    assert "## Refunds" not in page and ">Refunds</h2>" not in page
    version = client.get("/terms/versions/2026-12/", headers={"Accept-Language": language})
    assert f'<h2 id="refunds">{refunds}</h2>' in version.content.decode()


def test_the_terms_page_in_english_is_the_stored_text(client: Client, loaded: None) -> None:
    page = client.get("/terms/", headers={"Accept-Language": "en"}).content.decode()

    assert '<h2 id="refunds">Refunds</h2>' in page
    assert 'id="translation-note"' not in page

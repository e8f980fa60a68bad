"""Destination names from CLDR in every shop language, shown in the visitor's
language and found by search in any of them (ADR 0026)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from roamwise.catalog.models import Destination
from roamwise.catalog.names import destination_names

pytestmark = [pytest.mark.django_db]


def test_a_country_has_its_cldr_name_in_every_shop_language(catalog: None) -> None:
    japan = Destination.objects.get(code="JP")

    assert set(destination_names(japan).values()) == {"Japan", "Japon", "Japón", "Giappone", "日本"}
    assert destination_names(japan)["fr"] == "Japon"


def test_a_region_has_cldr_names_and_one_without_them_the_shops_own(catalog: None) -> None:
    europe = Destination.objects.get(code="europe")
    middle_east = Destination.objects.get(code="middle-east")

    assert {"Europe", "Europa", "ヨーロッパ", "欧洲"} <= set(destination_names(europe).values())
    assert {"Middle East", "Naher Osten", "Moyen-Orient"} <= set(
        destination_names(middle_east).values()
    )


def test_pages_show_the_name_in_the_visitors_language(catalog: None) -> None:
    germany = Destination.objects.get(code="DE")

    with translation.override("fr"):
        assert germany.display_name == "Allemagne"
    with translation.override("ja"):
        assert germany.display_name == "ドイツ"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Deutschland", "DE"),
        ("日本", "JP"),
        ("Japon", "JP"),
        ("Allemagne", "DE"),
        ("deutsch", "DE"),
    ],
)
def test_search_finds_a_destination_by_its_name_in_any_shop_language(
    client: Client, catalog: None, query: str, code: str
) -> None:
    body = client.get("/api/v1/destinations", {"q": query}).json()

    assert [item["code"] for item in body["items"]] == [code]


def test_the_search_page_finds_a_name_in_another_language_and_shows_the_pages_own(
    client: Client, catalog: None
) -> None:
    response = client.get(
        "/destinations/", {"q": "日本"}, headers={"Accept-Language": "fr"}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [("/destinations/jp/", 302)]  # the one match
    assert "Japon" in response.content.decode()


def test_the_api_names_destinations_in_the_requests_language(client: Client, catalog: None) -> None:
    body = client.get("/api/v1/destinations/DE", headers={"Accept-Language": "de"}).json()

    assert body["name"] == "Deutschland"

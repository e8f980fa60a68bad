from __future__ import annotations

import re

import pycountry
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from roamwise.catalog.geography import DEMO_COUNTRIES, REGIONS, region_members
from roamwise.catalog.models import Destination, Network, Plan
from roamwise.catalog.selectors import plans_covering
from roamwise.catalog.services import catalog_load_demo


def test_region_codes_are_real_and_each_country_is_in_one_region() -> None:
    seen: dict[str, str] = {}
    for slug in REGIONS:
        for code in region_members(slug):
            assert pycountry.countries.get(alpha_2=code) is not None, code
            assert code not in seen, f"{code} in {seen.get(code)} and {slug}"
            seen[code] = slug
    assert set(DEMO_COUNTRIES) <= set(seen)


@pytest.mark.commitment("ORD-01")
def test_demo_catalogue_covers_every_country_regions_and_global(catalog: None) -> None:
    countries = Destination.objects.filter(kind=Destination.Kind.COUNTRY)
    assert countries.count() == len(pycountry.countries) == 249
    assert Destination.objects.filter(kind=Destination.Kind.REGION).count() == 6
    assert Destination.objects.filter(kind=Destination.Kind.GLOBAL).count() == 1
    with_own_plans = countries.filter(plans__isnull=False).distinct().count()
    assert with_own_plans >= 40
    unlimited = Plan.objects.filter(data_mb__isnull=True)
    assert unlimited.exists()
    assert all(p.fair_use_mb_per_day for p in unlimited)


@pytest.mark.django_db
def test_a_first_load_updates_none_of_the_networks_it_inserts() -> None:
    with CaptureQueriesContext(connection) as queries:
        catalog_load_demo()

    assert Network.objects.count() == sum(len(ops) for _, ops in DEMO_COUNTRIES.values())
    network_updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "catalog_network"')]
    assert network_updates == []


def test_loading_twice_changes_nothing(catalog: None) -> None:
    before = sorted(Plan.objects.values_list("public_id", "price"))

    catalog_load_demo()

    assert sorted(Plan.objects.values_list("public_id", "price")) == before


@pytest.mark.commitment("ORD-01")
def test_a_country_is_covered_by_its_plans_its_regions_and_global(catalog: None) -> None:
    japan = Destination.objects.get(code="JP")

    plans = list(plans_covering(destination=japan))

    kinds = {(p.destination.code) for p in plans}
    assert kinds == {"JP", "asia", "global"}
    assert all(p.networks.all() for p in plans)


def test_a_country_without_its_own_plans_still_shows_regional_ones(catalog: None) -> None:
    bhutan = Destination.objects.get(code="BT")

    plans = list(plans_covering(destination=bhutan))

    assert {p.destination.code for p in plans} == {"asia", "global"}


@pytest.mark.commitment("ORD-01")
def test_home_search_destination_and_plan_pages(client: Client, catalog: None) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert "Where are you travelling?" in home.content.decode()

    results = client.get("/destinations/", {"q": "japan"})
    assert results["Location"] == "/destinations/jp/"

    page = client.get("/destinations/jp/")
    text = page.content.decode()
    assert "eSIM data plans for Japan" in text
    # The first card under "Japan plans" is one of Japan's own.
    own = text.split('id="own-heading"', 1)[1]
    plan = Plan.objects.get(public_id=re.search(r"/plans/([0-9a-f-]{36})/", own).group(1))
    assert plan.destination.code == "JP"

    detail = client.get(f"/plans/{plan.public_id}/")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert plan.name in body
    assert "NTT docomo" in body
    assert str(plan.money) in body


@pytest.mark.parametrize(
    "query,expected", [("usa", "US"), ("DEU", "DE"), ("viet", "VN"), ("uk", "GB")]
)
def test_search_finds_aliases_and_codes(
    client: Client, catalog: None, query: str, expected: str
) -> None:
    response = client.get("/destinations/", {"q": query})

    # Each names one destination exactly (or, "viet", starts only its names): its page.
    if response.status_code == 302:
        assert response["Location"] == f"/destinations/{expected.lower()}/"
    else:
        assert expected in [r.destination.code for r in response.context["results"]]


@pytest.mark.parametrize(
    "path",
    [
        "/destinations/atlantis/",
        "/plans/not-a-uuid/",
        "/plans/00000000-0000-0000-0000-000000000000/",
    ],
)
def test_unknown_pages_are_404(client: Client, catalog: None, path: str) -> None:
    assert client.get(path).status_code == 404


def test_search_survives_control_characters(client: Client, catalog: None) -> None:
    response = client.get("/destinations/", {"q": "ja\x00pan"})

    # The NUL is dropped: what is left names Japan.
    assert response["Location"] == "/destinations/jp/"


def test_footer_links_to_privacy_and_cookies(client: Client, catalog: None) -> None:
    text = client.get("/").content.decode()

    assert 'href="/privacy/"' in text
    assert 'href="/cookies/"' in text
    assert client.get("/privacy/").status_code == 200
    assert client.get("/cookies/").status_code == 200

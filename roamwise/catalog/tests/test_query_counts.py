"""The storefront's hot paths run a fixed number of queries however big the
catalogue is: when built after a change, and when served from the cache (ADR 0016)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client, TestCase

from roamwise.catalog import services
from roamwise.catalog.models import Destination, Network, Plan
from roamwise.core.identity import shop_identity
from roamwise.core.tests.querycount import Queries, cache_lookups, queries

pytestmark = pytest.mark.django_db


def new_version() -> None:
    """What every catalogue write does: the next request builds afresh."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.catalog_changed()


class Catalogue:
    """A catalogue grown item by item: countries with a plan and two networks
    each, and regions covering them with a plan each."""

    def __init__(self) -> None:
        self.size = 0

    def grow(self, to: int) -> None:
        while self.size < to:
            n = self.size
            country = Destination.objects.create(
                code=f"Q{chr(65 + n)}",
                slug=f"q{chr(97 + n)}",
                name=f"Country {n}",
                kind=Destination.Kind.COUNTRY,
                popularity=100 - n,
            )
            networks = [
                Network.objects.create(
                    country=country, name=f"Net {n}-{k}", mcc_mnc=f"9{n:02d}{k:02d}"
                )
                for k in range(2)
            ]
            region = Destination.objects.create(
                code=f"region-{n}", slug=f"region-{n}", name=f"Region {n}", kind="region"
            )
            region.countries.add(country)
            for place in (country, region):
                plan = Plan.objects.create(
                    destination=place,
                    name=f"{place.name} 1 GB",
                    data_mb=1024,
                    validity_days=7,
                    price=Decimal("5.00") + n,
                )
                plan.networks.set(networks)
            self.size += 1
        new_version()


def read(client: Client, path: str) -> tuple[Queries, Queries]:
    """The queries of the first request after a change, then of the next one."""
    with queries() as cold:
        assert client.get(path).status_code == 200
    with queries() as warm:
        assert client.get(path).status_code == 200
    return cold, warm


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    # Every page shows the shop's identity, held per worker process: read once
    # here, as a running worker has, so the counts below are the pages' own.
    shop_identity()
    return Catalogue()


def test_home_page_runs_a_fixed_number_of_queries(client: Client, catalogue: Catalogue) -> None:
    catalogue.grow(1)
    one = read(client, "/")
    catalogue.grow(8)
    many = read(client, "/")

    # Built: the popular plans, the popular destinations, the regions.
    # Then nothing but the catalogue's version from the shared cache.
    for cold, warm in (one, many):
        assert cold.counts == {"default": 3, "vault": 0, "cache": cache_lookups(1)}, cold
        assert warm.counts == {"default": 0, "vault": 0, "cache": cache_lookups(1)}, warm


def test_destination_page_runs_a_fixed_number_of_queries(
    client: Client, catalogue: Catalogue
) -> None:
    catalogue.grow(1)
    one = read(client, "/destinations/qa/")
    catalogue.grow(8)  # Country 0 now has eight regions' worth of neighbours' plans
    Destination.objects.get(code="QA").regions.add(*Destination.objects.filter(kind="region"))
    new_version()
    many = read(client, "/destinations/qa/")

    page = client.get("/destinations/qa/").content.decode()
    assert len(re.findall(r'class="card plan-card"', page)) == 9
    # Built: the destination, its plans with their destinations, the number of
    # countries each of their regions covers.
    for cold, warm in (one, many):
        assert cold.counts == {"default": 3, "vault": 0, "cache": cache_lookups(1)}, cold
        assert warm.counts == {"default": 0, "vault": 0, "cache": cache_lookups(1)}, warm


def test_plans_api_runs_a_fixed_number_of_queries(client: Client, catalogue: Catalogue) -> None:
    catalogue.grow(1)
    one = read(client, "/api/v1/destinations/QA/plans")
    catalogue.grow(8)
    Destination.objects.get(code="QA").regions.add(*Destination.objects.filter(kind="region"))
    new_version()
    many = read(client, "/api/v1/destinations/QA/plans")

    assert len(client.get("/api/v1/destinations/QA/plans").json()) == 9
    # Built: the destination, its plans, all their networks at once.
    for cold, warm in (one, many):
        assert cold.counts == {"default": 3, "vault": 0, "cache": cache_lookups(1)}, cold
        assert warm.counts == {"default": 0, "vault": 0, "cache": cache_lookups(1)}, warm

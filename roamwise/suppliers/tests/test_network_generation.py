"""A supplier that states its networks' generation: the package keeps it, and the
plans it supplies show it."""

from __future__ import annotations

import pytest

from roamwise.catalog.models import Plan
from roamwise.suppliers.base import network_generation
from roamwise.suppliers.catalogue import supplier_catalogue_sync
from roamwise.suppliers.models import PlanSource, SupplierPackage
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin


@pytest.mark.parametrize(
    "named,expected",
    [
        (["4G", "5G"], "5g"),
        (["4G/5G"], "5g"),
        (["LTE"], "4g"),
        (["3G", "4G"], "4g"),
        (["3G"], ""),
        ([], ""),
    ],
)
def test_the_fastest_generation_named(named: list[str], expected: str) -> None:
    assert network_generation(named) == expected


def test_sync_keeps_the_generation_and_the_plan_shows_it(
    esimaccess: EsimAccessStandin, catalog: None
) -> None:
    peru = Plan.objects.get(destination__code="PE", data_mb=5120)
    assert peru.network_generation == "4g"  # the demo catalogue's
    supplier_catalogue_sync(supplier_code="esimaccess")
    package = SupplierPackage.objects.get(supplier="esimaccess", package_id="P00001")
    PlanSource.objects.create(plan=peru, rank=1, package=package)
    esimaccess.packages[1]["locationNetworkList"][0]["operatorList"][0]["networkType"] = "4G/5G"

    supplier_catalogue_sync(supplier_code="esimaccess")

    package.refresh_from_db()
    peru.refresh_from_db()
    assert package.network_generation == "5g"
    assert peru.network_generation == "5g"


def test_a_supplier_that_says_nothing_leaves_the_plan_alone(
    esimaccess: EsimAccessStandin, catalog: None
) -> None:
    peru = Plan.objects.get(destination__code="PE", data_mb=5120)
    for raw in esimaccess.packages:
        raw["locationNetworkList"][0]["operatorList"][0]["networkType"] = ""
    supplier_catalogue_sync(supplier_code="esimaccess")
    package = SupplierPackage.objects.get(supplier="esimaccess", package_id="P00001")
    PlanSource.objects.create(plan=peru, rank=1, package=package)

    supplier_catalogue_sync(supplier_code="esimaccess")

    peru.refresh_from_db()
    assert package.network_generation == ""
    assert peru.network_generation == "4g"


def test_airalo_network_types_are_read(airalo: AiraloStandin) -> None:
    supplier_catalogue_sync(supplier_code="airalo")

    generations = set(
        SupplierPackage.objects.filter(supplier="airalo").values_list(
            "network_generation", flat=True
        )
    )
    assert generations == {"5g"}

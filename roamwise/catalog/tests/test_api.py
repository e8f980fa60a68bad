from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from roamwise.catalog.models import Plan


@pytest.mark.commitment("ORD-01")
def test_search_destinations(client: Client, catalog: None) -> None:
    response = client.get("/api/v1/destinations", {"q": "fran"})

    assert response.status_code == 200
    body = response.json()
    # France first; then the places whose names start with it in other languages
    # ("Französisch-Polynesien").
    assert body["items"][0] == {"code": "FR", "name": "France", "kind": "country", "flag": "🇫🇷"}
    assert {item["code"] for item in body["items"]} <= {"FR", "PF", "GF", "TF"}
    assert body["count"] == len(body["items"])


def test_destinations_filter_by_kind_and_paginate(client: Client, catalog: None) -> None:
    regions = client.get("/api/v1/destinations", {"kind": "region"}).json()
    page = client.get("/api/v1/destinations", {"limit": 10, "offset": 5}).json()

    assert regions["count"] == 6
    assert {i["kind"] for i in regions["items"]} == {"region"}
    assert page["count"] == 256
    assert len(page["items"]) == 10


@pytest.mark.commitment("ORD-01")
def test_plans_for_a_destination(client: Client, catalog: None) -> None:
    response = client.get("/api/v1/destinations/JP/plans")

    plans = response.json()
    assert response.status_code == 200
    assert {p["destination"]["code"] for p in plans} == {"JP", "asia", "global"}
    first = plans[0]
    assert set(first) == {
        "id",
        "name",
        "destination",
        "data_mb",
        "unlimited",
        "fair_use_mb_per_day",
        "validity_days",
        "price",
        "currency",
        "networks",
        "network_generation",
        "hotspot_allowed",
        "data_only",
        "validity_starts",
    }
    plan = Plan.objects.get(public_id=first["id"])
    assert Decimal(first["price"]) == plan.price
    assert first["currency"] == "USD"


def test_plan_detail(client: Client, catalog: None) -> None:
    plan = Plan.objects.filter(destination__code="FR", data_mb__isnull=True).get()

    body = client.get(f"/api/v1/plans/{plan.public_id}").json()

    assert body["unlimited"] is True
    assert body["data_mb"] is None
    assert body["fair_use_mb_per_day"] == 2048
    assert {n["mcc_mnc"] for n in body["networks"]} == {"20801", "20810", "20820"}
    # What the plan is: France roams on 5G; no hotspot on an unlimited plan; data only.
    assert body["network_generation"] == "5g"
    assert body["hotspot_allowed"] is False
    assert body["data_only"] is True
    assert body["validity_starts"] == "first_use"


@pytest.mark.parametrize(
    "path,params,status,code",
    [
        ("/api/v1/destinations", {"limit": "0"}, 422, "invalid_input"),
        ("/api/v1/destinations", {"limit": "abc"}, 422, "invalid_input"),
        ("/api/v1/destinations", {"limit": "10000"}, 422, "invalid_input"),
        ("/api/v1/destinations", {"offset": "-1"}, 422, "invalid_input"),
        ("/api/v1/destinations", {"kind": "planet"}, 422, "invalid_input"),
        ("/api/v1/destinations", {"q": "x" * 101}, 422, "invalid_input"),
        ("/api/v1/destinations", {"q": "ja\x00pan"}, 422, "invalid_input"),
        ("/api/v1/destinations/atlantis", {}, 404, "not_found"),
        ("/api/v1/destinations/a_b/plans", {}, 422, "invalid_input"),
        ("/api/v1/plans/not-a-uuid", {}, 422, "invalid_input"),
        ("/api/v1/plans/00000000-0000-0000-0000-000000000000", {}, 404, "not_found"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code_and_message(
    client: Client, catalog: None, path: str, params: dict, status: int, code: str
) -> None:
    response = client.get(path, params)

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["message"]


def test_openapi_docs_are_served(client: Client, db: None) -> None:
    assert client.get("/api/docs").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/destinations" in spec["paths"]
    assert "/api/v1/me" in spec["paths"]

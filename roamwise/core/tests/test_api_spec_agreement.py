"""The server takes exactly what the OpenAPI spec says: no boolean but true
and false, and every country code the spec lists (found by schemathesis's
negative-data and positive-data checks)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pycountry
import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.testing.shopping import BILLING_API

pytestmark = pytest.mark.django_db

NOT_BOOLEANS = [0, 1, "true", "false", "0", "1", "yes", "off", None]


@pytest.fixture
def api(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def spec(client: Client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").json()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_boolean(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(_resolve(spec, option).get("type") == "boolean" for option in options)


def _boolean_body_fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, bool]]:
    """(method, path, field, nullable) of every boolean in a request body."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            schema = _resolve(spec, body["schema"])
            for name, field in schema.get("properties", {}).items():
                if _is_boolean(spec, field):
                    nullable = any(o.get("type") == "null" for o in field.get("anyOf", []))
                    yield method, path, name, nullable


def test_the_api_has_boolean_inputs_to_check(spec: dict[str, Any]) -> None:
    found = {(path, name) for _, path, name, _ in _boolean_body_fields(spec)}
    assert ("/api/v1/consent", "marketing") in found
    assert ("/api/v1/esims/{esim_id}/delete", "confirm") in found
    assert ("/api/v1/rights/requests", "active") in found


@pytest.mark.commitment("SEC-07")
def test_a_boolean_input_takes_only_true_and_false(api: Client, spec: dict[str, Any]) -> None:
    taken = []
    for method, path, name, nullable in _boolean_body_fields(spec):
        url = path.replace("{esim_id}", str(uuid.uuid4()))
        for value in NOT_BOOLEANS:
            if value is None and nullable:
                continue
            response = getattr(api, method)(
                url, json.dumps({name: value}), content_type="application/json"
            )
            refused = response.status_code == 422 and any(
                error["loc"][-1] == name for error in response.json().get("detail", [])
            )
            if not refused:
                taken.append((method, path, name, value, response.status_code))
    assert taken == []


def _order(api: Client, plan: Plan, country: str) -> int:
    body = {"plan_id": str(plan.public_id), "billing": {**BILLING_API, "country": country}}
    return api.post("/api/v1/orders", json.dumps(body), content_type="application/json").status_code


@pytest.mark.commitment("ORD-02")
def test_every_iso_country_code_the_spec_lists_is_taken_and_nothing_else(
    api: Client, spec: dict[str, Any], catalog: None
) -> None:
    iso = {country.alpha_2 for country in pycountry.countries}
    billing = _resolve(spec, spec["components"]["schemas"]["BillingIn"])
    listed = _resolve(spec, billing["properties"]["country"])["enum"]
    assert set(listed) == iso
    plan = Plan.objects.get(destination__code="FR", data_mb=1024)
    refused = {code: status for code in sorted(iso) if (status := _order(api, plan, code)) != 201}
    assert refused == {}
    for outside in ("QQ", "fr", "FRA", "", "F1"):
        assert _order(api, plan, outside) == 422, outside

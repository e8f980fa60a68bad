"""Oversized bodies to machine endpoints: 413 in the API's error shape."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

from roamwise.core.middleware import body_limit

pytestmark = pytest.mark.django_db

LIMIT = 2_000
SAMPLE = {"int": "1", "uuid": str(uuid.uuid4()), "str": "x", "slug": "x", "path": "x"}


def _fill(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)


def _machine_routes(patterns: list, prefix: str = "") -> Iterator[str]:
    """Every route served by a CSRF-exempt view: the API, allauth's headless
    API, webhooks and the other endpoints machines post to."""
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _machine_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "csrf_exempt", False):
            yield "/" + _fill(route)


def test_every_machine_endpoint_is_found() -> None:
    routes = set(_machine_routes(get_resolver().url_patterns))
    assert "/api/v1/usage/records" in routes
    assert "/_allauth/app/v1/auth/login" in routes
    assert "/payments/webhooks/x/" in routes
    assert len(routes) > 30


@pytest.mark.commitment("SEC-07")
def test_an_oversized_body_gets_413_with_the_json_error_shape(
    client: Client, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    # Endpoints taking files as base64 take bodies up to what their attachment
    # limits need (body_limit_raise): small files keep those bodies small here.
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 100
    settings.RIGHTS_EVIDENCE_MAX_BYTES = 100
    wrong = {}
    for route in sorted(set(_machine_routes(get_resolver().url_patterns))):
        limit = body_limit(resolve(route).view_name)
        assert limit is not None
        body = json.dumps({"records": [], "padding": "x" * (limit * 2)})
        response = client.post(route, body, content_type="application/json")
        if response.status_code in (404, 405):
            continue  # no such object, or a read-only endpoint: the body is never read
        shape = (
            response.json()
            if response.headers.get("Content-Type", "").startswith("application/json")
            else None
        )
        if response.status_code != 413 or shape is None or shape.get("code") != "body_too_large":
            wrong[route] = (response.status_code, response.content[:80])
        else:
            assert str(limit) in shape["message"]
    assert wrong == {}


def test_only_the_endpoints_taking_files_take_larger_bodies(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    larger = {
        route
        for route in _machine_routes(get_resolver().url_patterns)
        if body_limit(resolve(route).view_name) != LIMIT
    }
    assert larger == {
        "/api/v1/support/tickets",
        "/api/v1/support/tickets/x/messages",
        "/api/v1/rights/requests",
    }


def test_a_body_within_the_limit_is_read_as_before(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = client.post(
        "/api/v1/usage/records", {"records": []}, content_type="application/json"
    )
    assert response.status_code == 401


def test_the_spec_lists_413_for_every_operation_with_a_body(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    with_body = [
        (path, method)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert with_body
    missing = [
        (path, method)
        for path, method in with_body
        if "413" not in spec["paths"][path][method]["responses"]
    ]
    assert missing == []

"""Schemathesis over the whole OpenAPI spec, in-process over WSGI.

Bounded examples keep it quick; a longer run is one environment variable
away: ``API_FUZZ_EXAMPLES=500 make test TEST_ARGS=roamwise/core/tests/test_api_fuzz.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from roamwise.catalog.services import catalog_load_demo

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "40"))


@pytest.fixture
def loaded_catalog(db: None) -> Iterator[None]:
    catalog_load_demo()
    # The WSGI handler closes "old" connections at each request's end; inside
    # the test's transaction that would close it under our feet. Django's own
    # test client disconnects the same hooks.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_errors_and_matches_its_schema(
    case: schemathesis.Case, loaded_catalog: None
) -> None:
    case.call_and_validate()

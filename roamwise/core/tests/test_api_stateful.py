"""Schemathesis over the API as a state machine (ADR 0017), in-process over WSGI.

Where one operation's answer names what another takes (a destination and its
plans, an order made from a plan and then paid, a ticket and its messages),
schemathesis follows the link, so calls reach objects that exist instead of
random ids; every call is made as a signed-in customer. Zero 5xx and zero
schema violations. ``API_FUZZ_EXAMPLES`` (``make fuzz``) runs more sequences.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from roamwise.catalog.services import catalog_load_demo
from roamwise.testing.people import PASSWORD, make_customer

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "40"))


class CustomerWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    token = ""

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": {"X-Session-Token": self.token}}

    def validate_response(
        self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        # Every call carries the customer's real token, so "the API ignored the
        # invalid credentials schemathesis generated" cannot apply here (the
        # authorization tests prove what anonymous callers get). And a body the
        # schema allows may still be refused with a 422 for what no schema says:
        # a phone number that does not exist, a plan no longer sold.
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=[ignored_auth, positive_data_acceptance],
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


@pytest.fixture
def signed_in(db: None) -> Iterator[str]:
    catalog_load_demo()
    make_customer("stateful")
    answer = Client().post(
        "/_allauth/app/v1/auth/login",
        {"username": "stateful", "password": PASSWORD},
        content_type="application/json",
    )
    # The WSGI handler closes "old" connections at each request's end; inside
    # the test's transaction that would close it under our feet.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield answer.json()["meta"]["session_token"]
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.skipif(
    "API_FUZZ_EXAMPLES" not in os.environ,
    reason="on demand (make fuzz): the sequences share one database, so hypothesis's "
    "data generation depends on what earlier sequences left and can fail as flaky; "
    "the stateless run over every operation stays in the suite",
)
def test_api_sequences_never_error_and_match_their_schema(signed_in: str) -> None:
    CustomerWorkflow.token = signed_in
    CustomerWorkflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )

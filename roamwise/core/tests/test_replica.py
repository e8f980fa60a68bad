"""The read-replica router and middleware on the embedded defaults (ADR 0038).

The router makes decisions only: with a "replica" entry added to the
databases it names an alias, and no query is run. The real replica on
PostgreSQL is in test_replica_postgres.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from roamwise.accounts.models import User
from roamwise.catalog.models import CurrencyRate, Destination, Network, Plan, PlanPrice
from roamwise.core.middleware import ReplicaMiddleware
from roamwise.core.replica import (
    REPLICA_ALIAS,
    REPLICA_MODELS,
    ReplicaRouter,
    replica_configured,
    replica_reads,
)
from roamwise.datamap.registry import data_map
from roamwise.esims.models import Esim
from roamwise.orders.models import Order
from roamwise.testing.fixtures.databases import scratch_environment

CATALOGUE = (Destination, Network, Plan, PlanPrice, CurrencyRate)
# A privacy request by its label: apps do not import rights (ADR 0010).
CUSTOMERS_OWN = (Order, Esim, apps.get_model("rights", "DataRequest"), User)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch, transactional_db: None) -> Iterator[None]:
    # The router reads only the names of the databases. Transactional: a
    # database test otherwise runs inside a transaction, where every read
    # goes to the primary.
    monkeypatch.setitem(settings.DATABASES, REPLICA_ALIAS, dict(settings.DATABASES["default"]))
    yield


def test_without_a_replica_nothing_changes() -> None:
    assert not replica_configured()
    assert "roamwise.core.replica.ReplicaRouter" in settings.DATABASE_ROUTERS
    replica_router = ReplicaRouter()
    with replica_reads():
        for model in CATALOGUE + CUSTOMERS_OWN:
            assert replica_router.db_for_read(model) is None
            assert router.db_for_read(model) == DEFAULT_DB_ALIAS
            assert router.db_for_write(model) == DEFAULT_DB_ALIAS
    assert replica_router.allow_migrate(DEFAULT_DB_ALIAS, "catalog", "plan") is None


def test_a_visitors_catalogue_reads_go_to_the_replica(with_replica: None) -> None:
    with replica_reads():
        for model in CATALOGUE:
            assert router.db_for_read(model) == REPLICA_ALIAS
        # A customer's own rows, and everything else, stay on the primary.
        for model in CUSTOMERS_OWN:
            assert router.db_for_read(model) == DEFAULT_DB_ALIAS


def test_outside_a_visitors_request_everything_reads_the_primary(with_replica: None) -> None:
    # Jobs, commands, the shell: no replica_reads() block.
    for model in CATALOGUE:
        assert router.db_for_read(model) == DEFAULT_DB_ALIAS


def test_writes_go_to_the_primary_and_pin_the_rest_of_the_request(with_replica: None) -> None:
    with replica_reads():
        assert router.db_for_read(Plan) == REPLICA_ALIAS
        assert router.db_for_write(Plan) == DEFAULT_DB_ALIAS
        # Read your own write: the primary until the block ends.
        assert router.db_for_read(Plan) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Destination) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Plan) == REPLICA_ALIAS


def test_a_cache_entry_written_does_not_pin(with_replica: None) -> None:
    from django.core.cache.backends.db import DatabaseCache

    # The embedded default's cache, whatever cache this run is configured with.
    entry = DatabaseCache("roamwise_cache", {}).cache_model_class
    with replica_reads():
        router.db_for_write(entry)
        assert router.db_for_read(Plan) == REPLICA_ALIAS


def test_a_row_read_from_the_replica_is_saved_to_the_primary(with_replica: None) -> None:
    plan = Plan(name="Read on the replica")
    plan._state.db = REPLICA_ALIAS
    assert router.db_for_write(Plan, instance=plan) == DEFAULT_DB_ALIAS
    # and may be related to rows of the primary (an order for that plan)
    order = Order()
    order._state.db = DEFAULT_DB_ALIAS
    assert router.allow_relation(order, plan)


def test_select_for_update_uses_the_primary(with_replica: None) -> None:
    with replica_reads():
        assert Plan.objects.all().db == REPLICA_ALIAS
        assert Plan.objects.select_for_update().db == DEFAULT_DB_ALIAS


def test_inside_a_transaction_reads_go_to_the_primary(with_replica: None) -> None:
    with replica_reads():
        with transaction.atomic():
            assert router.db_for_read(Plan) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Plan) == REPLICA_ALIAS


def test_the_replica_takes_no_migrations(with_replica: None) -> None:
    assert router.allow_migrate(REPLICA_ALIAS, "catalog", model_name="plan") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "catalog", model_name="plan") is True


def _read_during(request: HttpRequest) -> str:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(router.db_for_read(Plan))
        return HttpResponse()

    ReplicaMiddleware(view)(request)
    return seen[0]


def test_middleware_lets_only_a_visitors_safe_requests_read_the_replica(
    with_replica: None,
) -> None:
    factory = RequestFactory()
    visitor_get = factory.get("/destinations/")
    visitor_get.user = AnonymousUser()
    assert _read_during(visitor_get) == REPLICA_ALIAS
    visitor_post = factory.post("/currency/")
    visitor_post.user = AnonymousUser()
    assert _read_during(visitor_post) == DEFAULT_DB_ALIAS
    customer_get = factory.get("/destinations/")
    customer_get.user = User(username="signed-in")
    assert _read_during(customer_get) == DEFAULT_DB_ALIAS
    # After the request, the primary again.
    assert router.db_for_read(Plan) == DEFAULT_DB_ALIAS


def test_middleware_without_a_replica_does_nothing() -> None:
    visitor_get = RequestFactory().get("/destinations/")
    visitor_get.user = AnonymousUser()
    assert _read_during(visitor_get) == DEFAULT_DB_ALIAS


def test_replica_models_hold_no_personal_data() -> None:
    # A read behind the primary must never show data a customer corrected or
    # had erased: only tables without personal data may be read there.
    for label in REPLICA_MODELS:
        model = apps.get_model(label)
        assert data_map.for_model(model) is None, label


def test_what_is_kept_is_built_from_the_primary(with_replica: None) -> None:
    from roamwise.catalog.cache import cached

    seen: list[str] = []

    def build() -> str:
        seen.append(router.db_for_read(Plan))
        return "fragment"

    with replica_reads():
        assert cached("replica-test", version="v-replica-test", build=build) == "fragment"
        assert router.db_for_read(Plan) == REPLICA_ALIAS
    assert seen == [DEFAULT_DB_ALIAS]


def test_a_replica_needs_postgresql_on_both_sides(tmp_path: Path) -> None:
    env = {
        **scratch_environment(tmp_path),
        "DATABASE_REPLICA_URL": "postgres://reader@127.0.0.1:5432/roamwise",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import roamwise.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DATABASE_REPLICA_URL must use postgres://" in done.stderr

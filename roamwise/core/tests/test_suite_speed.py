"""The suite's own machinery for speed (ADR 0019): the quick flush after a
transactional test, each parallel worker's own files and queue, and a cache
clear that leaves other keys alone."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from roamwise.accounts.models import Profile, User
from roamwise.audit.roles import BILLING, ROLE_PERMISSIONS
from roamwise.core.tests import flush
from roamwise.core.tests.workers import DEFAULT_DATA_DIR, worker_environment
from roamwise.testing.people import make_customer


def _roles() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_the_quick_flush_empties_what_a_test_wrote_and_keeps_types_and_roles(
    transactional_db: None,
) -> None:
    flush.flush_fully("default")
    content_types = dict(ContentType.objects.values_list("pk", "model"))
    roles = _roles()
    assert set(roles) == set(ROLE_PERMISSIONS)

    make_customer("carol")
    flush.flush_after_test("default")

    assert not User.objects.exists()
    assert not Profile.objects.exists()
    # Kept, not made again: the same rows under the same ids.
    assert dict(ContentType.objects.values_list("pk", "model")) == content_types
    assert _roles() == roles


def test_a_test_that_changes_a_role_gets_djangos_full_flush(transactional_db: None) -> None:
    flush.flush_fully("default")
    roles = _roles()
    Group.objects.get(name=BILLING).permissions.clear()
    Group.objects.create(name="Left behind")

    flush.flush_after_test("default")

    assert _roles() == roles


def test_the_quick_flush_empties_the_key_store_too(transactional_db: None) -> None:
    from roamwise.vault.models import DataKey
    from roamwise.vault.services import create_keys

    flush.flush_fully("vault")
    assert create_keys([uuid.uuid4()]) == 1
    assert DataKey.objects.using("vault").exists()

    flush.flush_after_test("vault")

    assert not DataKey.objects.using("vault").exists()


def test_each_worker_gets_its_own_files_queue_and_cache_keys() -> None:
    base = {"ROAMWISE_DATA_DIR": "/srv/run", "HUEY_NAME": "roamwise-ci", "CACHE_KEY_PREFIX": "ci"}
    assert worker_environment(base, "gw1") == {
        "ROAMWISE_DATA_DIR": "/srv/run/gw1",
        "HUEY_NAME": "roamwise-ci-gw1",
        "CACHE_KEY_PREFIX": "ci-gw1",
    }
    assert worker_environment({}, "gw0") == {
        "ROAMWISE_DATA_DIR": str(DEFAULT_DATA_DIR / "gw0"),
        "HUEY_NAME": "roamwise-gw0",
        "CACHE_KEY_PREFIX": "roamwise-gw0",
    }


@pytest.mark.skipif(not os.environ.get("PYTEST_XDIST_WORKER"), reason="not a parallel run")
def test_this_worker_runs_on_its_own_files_and_queue() -> None:
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert Path(settings.DATA_DIR).name == worker
    assert settings.HUEY["name"].endswith(f"-{worker}")
    for database in settings.DATABASES.values():
        assert database["TEST"]["NAME"].endswith(f"_{worker}")


@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")
def test_clearing_the_redis_cache_leaves_other_keys_in_the_database() -> None:
    from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

    from roamwise.core.cache import RedisCache

    run = uuid.uuid4().hex
    ours = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"{run}-ours[1]"})
    theirs = DjangoRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"{run}-ours"})
    client = ours._cache.get_client(None, write=True)
    queue = f"huey.redis.{run}"
    try:
        ours.set_many({f"key{n}": n for n in range(2500)})
        theirs.set("key", "kept")
        client.lpush(queue, b"a job")

        ours.clear()

        assert ours.get("key1") is None
        assert ours.get("key2499") is None
        assert theirs.get("key") == "kept"
        assert client.llen(queue) == 1
    finally:
        client.delete(queue, theirs.make_key("key"))

"""The suite's set-up: quick password hashing, the property-test profiles, the
quick flush, both databases for every database test, and the fixtures of
``roamwise/testing/fixtures`` (registered here, once).

What tests share lives in ``roamwise/testing`` (docs/testing.md): import
helpers from there, never from a test module or a conftest.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
from django.core.cache import cache
from django.db.backends.signals import connection_created
from django.test.signals import root_urlconf_changed, setting_changed
from django.urls import set_urlconf
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from roamwise.testing.fixtures import PLUGINS
from roamwise.testing.people import PRODUCTION_HASHERS

pytest_plugins = PLUGINS

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}

# Passwords are hashed with Argon2id at its lowest cost in the suite (see
# roamwise/core/tests/hashers.py); PRODUCTION_HASHERS is what settings.py says.
settings.PASSWORD_HASHERS = [
    "roamwise.core.tests.hashers.QuickArgon2PasswordHasher",
    *PRODUCTION_HASHERS[1:],
]
get_hashers.cache_clear()
get_hashers_by_algorithm.cache_clear()

# Property tests: a short run by default; ``HYPOTHESIS_PROFILE=fuzz`` (or
# ``make fuzz``) runs every parser fuzz test with many more examples.
_FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
hypothesis_settings.register_profile(
    "quick", max_examples=40, deadline=None, suppress_health_check=_FUZZ_HEALTH
)
hypothesis_settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=_FUZZ_HEALTH,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


# --- Suite speed (ADR 0019) ---------------------------------------------------
# Parallel workers get their own files, queue and cache keys from
# roamwise/core/tests/workers.py (loaded with -p, before the settings).


def _install_quick_flush() -> None:
    """After a transactional test, only the tables it wrote are emptied, and
    the content types, permissions and roles are kept when it left them as
    they were (roamwise/core/tests/flush.py)."""
    from roamwise.core.tests import flush

    flush.install()


_install_quick_flush()


def _commit_without_waiting_for_the_disk(connection: Any, **kwargs: object) -> None:
    """A test database need not survive a power cut: a commit returns once the
    database has the change, without waiting for the disk to confirm it.
    Readers, other connections and other processes see exactly what they
    would; only a crash of the machine could lose the last commits. The
    live-server tests commit after every request, and building the test
    databases commits every migration."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")


connection_created.connect(_commit_without_waiting_for_the_disk)


def _switch_urlconf_keeping_resolvers(*, setting: str, **kwargs: object) -> None:
    """Tests with the stand-ins switch ROOT_URLCONF to a URLconf that mounts
    them, and back. Django's own receiver then throws away every URL resolver,
    and the next ``reverse`` builds the whole URLconf again (about 50 ms, twice
    a test). A resolver is cached by URLconf module, whose patterns no test
    changes: here only the thread's current URLconf is reset."""
    if setting == "ROOT_URLCONF":
        set_urlconf(None)


setting_changed.disconnect(root_urlconf_changed)
setting_changed.connect(_switch_urlconf_keeping_resolvers)
# ------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every database test may use both databases: the primary and the key store."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        if marker is None and not fixtures & DB_FIXTURES:
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if fixtures & {"transactional_db", "live_server"}:
            kwargs["transaction"] = True
        kwargs["databases"] = "__all__"
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _clear_cache(db: None) -> None:
    # Rate limits live in the cache; each test starts with none counted.
    cache.clear()
    # The shop's identity is held per process (core.identity): read afresh.
    from roamwise.core.identity import forget_shop_identity

    forget_shop_identity()
    # Data keys unwrapped by an earlier test name rows its rollback removed.
    from roamwise.vault.services import clear_key_cache

    clear_key_cache()


@pytest.fixture(autouse=True)
def _partners_vetted(db: None) -> None:
    # Every recipient is on record as screened, as in a running shop (SHR-07);
    # roamwise/governance/tests/test_processors.py takes one off the record.
    from roamwise.testing.helpers import vet_every_partner

    vet_every_partner()

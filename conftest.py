"""Shared test fixtures: people (customers, staff), the catalogue, and helpers.

Personas follow the project's convention: ``alice`` is a verified customer,
``bob`` another customer, ``staff`` a back-office user.
"""

from __future__ import annotations

import base64
import os
import pickle
import re
import time
from datetime import date

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
from django.core.cache import cache
from django.db import connection, connections, router
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from roamwise.accounts.models import Profile, User
from roamwise.catalog.models import Plan

PASSWORD = "correct horse battery staple 42"
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}

# Passwords are hashed with Argon2id at its lowest cost in the suite (see
# roamwise/core/tests/hashers.py); PRODUCTION_HASHERS is what settings.py says.
PRODUCTION_HASHERS = list(settings.PASSWORD_HASHERS)
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


def make_customer(username: str, *, verified: bool = True, **extra: object) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **extra
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    Profile.objects.create(user=user, phone="+447911123456", date_of_birth=date(1990, 5, 17))
    return user


@pytest.fixture
def alice(db: None) -> User:
    return make_customer("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_customer("bob")


@pytest.fixture
def staff(db: None) -> User:
    return make_customer("staffer", is_staff=True, is_superuser=True)


def totp_code(secret: str, step: int = 0) -> str:
    """The code of the current 30-second period, or of the one ``step`` after.

    The server accepts one period either side (``MFA_TOTP_TOLERANCE``), so a
    code of the current or the next period still passes when the clock turns
    over between making it and checking it; the previous period's would not.
    """
    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def enable_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def catalog(db: None) -> None:
    from roamwise.catalog.services import catalog_load_demo

    catalog_load_demo()


@pytest.fixture
def plan(catalog: None) -> Plan:
    """France, 5 GB: the plan most purchase tests buy."""
    return Plan.objects.get(destination__code="FR", data_mb=5120)


@pytest.fixture
def buyer(alice: User) -> Client:
    """A browser signed in as alice."""
    client = Client()
    client.force_login(alice)
    return client


def link_in(body: str, path_fragment: str) -> str:
    match = re.search(rf"https?://[^\s]+{re.escape(path_fragment)}[^\s]*", body)
    assert match, f"no link containing {path_fragment!r} in:\n{body}"
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def rows_containing(needle: str) -> list[str]:
    """Every table and column, across all models, whose text holds ``needle``.

    Includes decoded sessions and the database cache table, so that "nothing
    kept" means nothing anywhere in the database.
    """
    hits: list[str] = []
    text_types = {"CharField", "TextField", "JSONField", "EmailField", "SlugField"}
    for model in apps.get_models(include_auto_created=True):
        alias = router.db_for_read(model) or "default"
        db = connections[alias]
        table = db.ops.quote_name(model._meta.db_table)
        for field in model._meta.concrete_fields:
            if field.get_internal_type() not in text_types:
                continue
            column = db.ops.quote_name(field.column)
            # Raw SQL over the stored text: what a database reader would see.
            sql = f"SELECT COUNT(*) FROM {table} WHERE LOWER(CAST({column} AS TEXT)) LIKE %s"
            with db.cursor() as cursor:
                cursor.execute(sql, [f"%{needle.lower()}%"])
                if cursor.fetchone()[0]:
                    hits.append(f"{model._meta.db_table}.{field.column}")
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        if needle.lower() in str(session.get_decoded()).lower():
            hits.append(f"session {session.session_key}")
    if "roamwise_cache" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key, value FROM roamwise_cache")
            for key, value in cursor.fetchall():
                # The database cache stores base64-encoded pickles: look inside.
                decoded = str(pickle.loads(base64.b64decode(value)))  # noqa: S301
                if needle.lower() in (key + decoded).lower():
                    hits.append(f"cache {key}")
    return hits


def run_jobs(max_rounds: int = 200) -> int:
    """Run every queued job in this process, including ones scheduled for
    later (retries), until the queue is empty. Returns how many ran."""
    import datetime as dt

    from huey.contrib.djhuey import HUEY

    # Time travel: a job scheduled for later (a retry with backoff) runs now.
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    ran = 0
    for _ in range(max_rounds):
        task = HUEY.dequeue()
        if task is None:
            due = HUEY.read_schedule(later)
            if not due:
                break
            for scheduled in due:
                HUEY.enqueue(scheduled)
            continue
        HUEY.execute(task, timestamp=later)
        ran += 1
    return ran


@pytest.fixture
def jobs(db: None) -> object:
    """A clean job queue for the test; call ``jobs()`` to run what is queued."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield run_jobs
    HUEY.flush()


@pytest.fixture
def stand_ins(settings: object) -> None:
    """The stand-ins for the payment processor, the SM-DP+ and the network
    partner, mounted in the site under test at /gateway/, /smdp/ and /network/.

    Nothing mounts them otherwise: the site's own URLconf never does, and a
    deployment runs each as its own process (ADR 0018). Tests that speak to a
    stand-in ask for this fixture (``shop`` does).
    """
    from roamwise.core.stand_ins import STAND_INS

    settings.ROOT_URLCONF = "roamwise.core.tests.stand_in_urls"  # type: ignore[attr-defined]
    settings.SIMULATORS = list(STAND_INS)  # type: ignore[attr-defined]


@pytest.fixture
def shop(
    live_server: object, settings: object, stand_ins: None, catalog: None, jobs: object
) -> str:
    """The site served on loopback, with the simulated processor, the SM-DP+ and
    the network partner reached over HTTP."""
    url = live_server.url  # type: ignore[attr-defined]
    settings.SITE_URL = url  # type: ignore[attr-defined]
    settings.GATEWAY_URL = f"{url}/gateway"  # type: ignore[attr-defined]
    settings.ES2PLUS_URL = f"{url}/smdp"  # type: ignore[attr-defined]
    settings.SMDP_OPERATORS = {  # type: ignore[attr-defined]
        settings.ES2PLUS_REQUESTER_ID: f"{url}/esims/es2plus/handleDownloadProgressInfo"  # type: ignore[attr-defined]
    }
    settings.NETWORK_PARTNER_URL = f"{url}/network"  # type: ignore[attr-defined]
    from roamwise.smdp.services import inventory_add

    # Profiles for the demo plans, so that a paid order gets its eSIM.
    inventory_add(profile_type="roamwise-standard", count=10, operator="roamwise")
    settings.ALLOWED_HOSTS = ["*"]  # type: ignore[attr-defined]
    return url

"""Storage location (RET-08): the deployment's region is disclosed, and with an
EU database configured, EU customers' pinned records are written there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, router
from django.test import Client

from roamwise.accounts.models import User
from roamwise.datamap.registry import data_map
from roamwise.governance import selectors
from roamwise.governance.models import DataResidency, Disclosure
from roamwise.kernel.disclosures import disclosure_record
from roamwise.kernel.residency import (
    EU_ALIAS,
    database_for_subject,
    region_for_country,
    residency_assign,
)
from roamwise.kernel.router import ResidencyRouter
from roamwise.testing.people import signup


def count(alias: str, subject_id: uuid.UUID) -> int:
    """Rows in that database file, by raw SQL: what is really stored there."""
    field = Disclosure._meta.get_field("subject_id")
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM governance_disclosure WHERE subject_id = %s",
            [field.get_db_prep_value(subject_id, connections[alias])],
        )
        return int(cursor.fetchone()[0])


@pytest.fixture
def eu_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: None) -> Iterator[str]:
    """A second SQLite file as the "eu" alias, with the pinned tables in it."""
    config = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            EU_ALIAS: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "eu.db")},
        }
    )[EU_ALIAS]
    monkeypatch.setitem(settings.DATABASES, EU_ALIAS, config)
    if connections.settings is not settings.DATABASES:
        monkeypatch.setitem(connections.settings, EU_ALIAS, config)
    # The test case allowed the databases known when it started; this one is
    # connected by hand, which Django's guard lets through.
    connections[EU_ALIAS].connect()
    with connections[EU_ALIAS].schema_editor() as editor:
        editor.create_model(Disclosure)
    yield EU_ALIAS
    connections[EU_ALIAS].close()
    del connections[EU_ALIAS]


def disclose(user: User) -> Disclosure:
    return disclosure_record(
        subject_id=user.public_id,
        recipient="payment",
        categories=("user.behavior.purchase_history",),
        purpose="billing",
        reference="order-1",
    )


@pytest.mark.commitment("RET-08")
def test_without_an_eu_database_everything_stays_in_default(alice: User) -> None:
    residency_assign(user=alice, region="eu")
    residency_router = ResidencyRouter()

    disclosure = disclose(alice)

    assert EU_ALIAS not in settings.DATABASES
    assert disclosure._state.db == "default"
    assert count("default", alice.public_id) == 1
    for model in (Disclosure, User, DataResidency):
        assert residency_router.db_for_write(model, instance=disclosure) is None
        assert residency_router.db_for_read(model) is None
    assert residency_router.allow_migrate("default", "governance", "disclosure") is None
    assert router.db_for_write(Disclosure, instance=disclosure) == "default"
    assert database_for_subject(alice.public_id) == "default"
    assert selectors.storage_location_of(alice) == (
        "Your personal data is stored in the United Kingdom."
    )


@pytest.mark.commitment("RET-08")
def test_an_eu_customers_pinned_records_are_written_to_the_eu_database(
    alice: User, bob: User, eu_database: str
) -> None:
    residency_assign(user=alice, region=region_for_country("fr"))
    residency_assign(user=bob, region=region_for_country("GB"))

    alices = disclose(alice)
    bobs = disclose(bob)

    assert alices._state.db == EU_ALIAS and bobs._state.db == "default"
    assert (count(EU_ALIAS, alice.public_id), count("default", alice.public_id)) == (1, 0)
    assert (count(EU_ALIAS, bob.public_id), count("default", bob.public_id)) == (0, 1)
    # Reads name the database: the selector, and the data map (access, erasure).
    assert [d.pk for d in selectors.disclosures_of(subject_id=alice.public_id)] == [alices.pk]
    declaration = data_map.declarations["governance.disclosure"]
    assert list(declaration.rows_of(alice)) == [alices]
    assert list(declaration.rows_of(bob)) == [bobs]
    # An unhinted read goes to default, where the EU row is not: the documented limit.
    assert not Disclosure.objects.filter(subject_id=alice.public_id).exists()
    # Writes through the instance follow the subject: refresh and delete too.
    alices.refresh_from_db()
    alices.delete()
    assert count(EU_ALIAS, alice.public_id) == 0

    assert selectors.storage_location_of(alice) == (
        "Your personal data is stored in the United Kingdom, except these records, which are "
        "kept in the European Union: Which third parties received which kinds of your data, "
        "when and why."
    )
    assert selectors.storage_location_of(bob) == (
        "Your personal data is stored in the United Kingdom."
    )


@pytest.mark.commitment("RET-08")
def test_the_eu_database_holds_only_the_pinned_tables(eu_database: str) -> None:
    residency_router = ResidencyRouter()

    assert residency_router.allow_migrate(EU_ALIAS, "governance", "disclosure") is True
    assert residency_router.allow_migrate(EU_ALIAS, "governance", "policyacceptance") is False
    assert residency_router.allow_migrate(EU_ALIAS, "accounts", "user") is False
    assert residency_router.allow_migrate(EU_ALIAS, "consent") is False  # RunSQL, no model
    assert residency_router.allow_migrate("default", "governance", "disclosure") is None
    assert router.allow_migrate(EU_ALIAS, "vault", model_name="datakey") is False
    assert router.allow_migrate("default", "governance", model_name="disclosure") is True
    # Other models are never routed by it.
    assert residency_router.db_for_write(User) is None


@pytest.mark.commitment("RET-08")
def test_the_policy_page_lists_the_eu_database_and_the_customers_location(
    client: Client, alice: User, eu_database: str
) -> None:
    residency_assign(user=alice, region="eu")
    client.force_login(alice)

    page = client.get("/privacy/").content.decode()

    assert '<li id="storage-eu"><strong>EU database, in the European Union' in page
    assert "kept in the European Union: Which third parties received" in page


def test_region_assignment_validates() -> None:
    assert region_for_country("DE") == "eu" and region_for_country("no") == "eu"
    assert region_for_country("US") == settings.DATA_REGION


def test_an_unknown_region_is_refused(alice: User) -> None:
    from roamwise.kernel.errors import PolicyError

    with pytest.raises(PolicyError):
        residency_assign(user=alice, region="mars")
    assert DataResidency.objects.count() == 0


@pytest.mark.commitment("RET-08")
def test_a_customer_signing_up_from_the_eea_is_kept_in_the_eu(eu_database: str) -> None:
    """The region is set at sign-up from where the request came from (the
    address is not stored); the disclosure log of such a customer goes to the
    EU database from the first row."""
    for username, address in (("amelie", "193.51.24.1"), ("sam", "8.8.8.8"), ("kit", "10.1.2.3")):
        response = signup(
            Client(REMOTE_ADDR=address), username=username, email=f"{username}@example.com"
        )
        assert response.status_code == 302, username

    regions = dict(DataResidency.objects.values_list("user__username", "region"))
    # France is in the EEA; the United States and an unknown origin keep the
    # deployment's own region, which needs no row.
    assert regions == {"amelie": "eu"}
    amelie = User.objects.get(username="amelie")
    assert disclose(amelie)._state.db == EU_ALIAS
    assert disclose(User.objects.get(username="sam"))._state.db == "default"
    assert "European Union" in selectors.storage_location_of(amelie)

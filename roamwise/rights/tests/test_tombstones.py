"""Erased stays erased after a restore (SEC-05): tombstones in both databases,
re-applied by ``manage.py restore_tombstones``."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from roamwise.accounts.models import User
from roamwise.rights.erasure import erase_subject
from roamwise.testing.fixtures.databases import scratch_environment
from roamwise.vault import services as vault
from roamwise.vault.models import DataKey, Tombstone
from roamwise.vault.router import PRIMARY_DB, VAULT_DB

ROOT = Path(__file__).resolve().parents[3]


def restore_tombstones(*args: str) -> str:
    out = io.StringIO()
    call_command("restore_tombstones", *args, stdout=out)
    return out.getvalue()


@pytest.mark.commitment("SEC-05")
def test_each_database_keeps_a_copy_of_the_list_and_completes_the_other(alice: User) -> None:
    erase_subject(user=alice, reason="Erasure request")
    subject_id = alice.public_id
    # A restore of the primary database rolled its copy back.
    Tombstone.objects.using(PRIMARY_DB).filter(subject_id=subject_id).delete()

    dry = restore_tombstones("--dry-run")

    assert "would copy missing ones (default: 1, vault: 0)" in dry
    assert not Tombstone.objects.using(PRIMARY_DB).filter(subject_id=subject_id).exists()

    restore_tombstones()

    assert Tombstone.objects.using(PRIMARY_DB).filter(subject_id=subject_id).exists()
    # And the other way round: a restore of the key store.
    Tombstone.objects.using(VAULT_DB).filter(subject_id=subject_id).delete()
    restore_tombstones()
    assert Tombstone.objects.using(VAULT_DB).filter(subject_id=subject_id).exists()


@pytest.mark.commitment("SEC-05")
def test_a_key_and_an_account_brought_back_are_erased_again(alice: User, bob: User) -> None:
    erase_subject(user=alice, reason="Erasure request")
    subject_id = alice.public_id
    # What restores bring back: the key (key store) and the account (primary).
    vault.create_keys([subject_id])
    vault.clear_key_cache()
    back = User.objects.create_user("alice-again", "alice@example.com", "x" * 20)
    User.objects.filter(pk=back.pk).update(public_id=subject_id)

    dry = restore_tombstones("--dry-run")

    assert "would erase again 1 account(s)" in dry
    assert "would destroy again 0 data key(s)" in dry  # the account's erasure does it
    assert DataKey.objects.filter(subject_id=subject_id).exists()

    done = restore_tombstones()

    assert "erase again 1 account(s)" in done
    assert not User.objects.filter(public_id=subject_id).exists()
    assert not DataKey.objects.filter(subject_id=subject_id).exists()
    assert DataKey.objects.filter(subject_id=bob.public_id).exists()
    # Nothing left to do: a second run changes nothing.
    assert "erase again 0 account(s)" in restore_tombstones()


# --- A real restore of an older copy of each database --------------------------------

RESTORE_SCENARIO = textwrap.dedent(
    """
    import os, shutil, sqlite3
    from datetime import date
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    # The databases come migrated; the cache table is the scratch process's own
    # (its cache is the database, whatever the suite's is).
    call_command("createcachetable")
    from allauth.account.models import EmailAddress
    from roamwise.accounts.models import Profile, User
    from roamwise.rights.erasure import erase_subject
    from roamwise.vault import services as vault
    from roamwise.vault.errors import DataErased
    from roamwise.vault.models import DataKey, Tombstone

    def copy_database(alias, tag):
        connections.close_all()
        settings = connections[alias].settings_dict
        if settings["ENGINE"].endswith("sqlite3"):
            source = sqlite3.connect(settings["NAME"])
            target = sqlite3.connect(settings["NAME"] + "." + tag)
            source.backup(target)
            source.close()
            target.close()
        else:
            maintenance(f'CREATE DATABASE "{settings["NAME"]}_{tag}" TEMPLATE "{settings["NAME"]}"')

    def restore_database(alias, tag):
        connections.close_all()
        settings = connections[alias].settings_dict
        if settings["ENGINE"].endswith("sqlite3"):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(settings["NAME"] + suffix):
                    os.remove(settings["NAME"] + suffix)
            shutil.copy(settings["NAME"] + "." + tag, settings["NAME"])
        else:
            maintenance(f'DROP DATABASE "{settings["NAME"]}" WITH (FORCE)')
            maintenance(f'CREATE DATABASE "{settings["NAME"]}" TEMPLATE "{settings["NAME"]}_{tag}"')
        vault.clear_key_cache()

    def maintenance(sql):
        import psycopg
        settings = connections["default"].settings_dict
        with psycopg.connect(
            host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
            user=settings["USER"], password=settings["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as admin:
            admin.execute(sql)

    def show(label):
        subject = User.objects.filter(public_id=subject_id).first()
        profile = Profile.objects.filter(user__public_id=subject_id).first()
        phone = "none"
        if profile is not None:
            try:
                phone = profile.phone
            except DataErased:
                phone = "unreadable"
        print(
            "STATE", label,
            "account:", subject is not None,
            "phone:", phone,
            "key:", DataKey.objects.filter(subject_id=subject_id).exists(),
            "tombstones:", sorted(
                alias for alias in ("default", "vault")
                if Tombstone.objects.using(alias).filter(subject_id=subject_id).exists()
            ),
            "other:", Profile.objects.get(user__username="yann").phone,
        )

    zoe = User.objects.create_user("zoe", "zoe@example.com", "a long passphrase 1")
    EmailAddress.objects.create(user=zoe, email=zoe.email, primary=True, verified=True)
    Profile.objects.create(user=zoe, phone="+447911000003", date_of_birth=date(1990, 1, 1))
    yann = User.objects.create_user("yann", "yann@example.com", "a long passphrase 2")
    Profile.objects.create(user=yann, phone="+447911000004", date_of_birth=date(1991, 2, 2))
    subject_id = zoe.public_id
    copy_database("default", "older")
    copy_database("vault", "older")
    show("before:")

    erase_subject(user=zoe, reason="Erasure request")
    show("erased:")

    restore_database("default", "older")
    show("primary restored:")
    call_command("restore_tombstones")
    show("tombstones applied:")

    restore_database("vault", "older")
    show("key store restored:")
    call_command("restore_tombstones")
    show("tombstones applied again:")
    """
)


@pytest.fixture
def scratch_databases(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Environment for a separate process with databases of its own, every
    migration applied: SQLite files in a temporary directory, or scratch
    PostgreSQL databases made from ``migrated_postgres``."""
    if connection.vendor != "postgresql":
        yield scratch_environment(request.getfixturevalue("migrated_data_dir"))
        return
    env = scratch_environment(tmp_path)
    import psycopg

    settings = connection.settings_dict
    base = f"{settings['NAME']}_{uuid.uuid4().hex[:8]}"
    names = [base, f"{base}_vault"]
    user, password = settings["USER"], settings["PASSWORD"] or ""
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    credentials = f"{user}:{password}@" if password else f"{user}@"
    env["DATABASE_URL"] = f"postgres://{credentials}{host}:{port}/{names[0]}"
    env["VAULT_DATABASE_URL"] = f"postgres://{credentials}{host}:{port}/{names[1]}"

    def admin(sql: str) -> None:
        with psycopg.connect(
            host=host,
            port=port,
            user=user,
            password=password or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    templates = request.getfixturevalue("migrated_postgres")
    for name, alias in zip(names, ("default", "vault"), strict=True):
        admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates[alias]}"')
    try:
        yield env
    finally:
        for name in names:
            for suffix in ("", "_older"):
                admin(f'DROP DATABASE IF EXISTS "{name}{suffix}" WITH (FORCE)')


@pytest.mark.commitment("SEC-05")
@pytest.mark.commitment("RGT-03")
def test_restoring_older_copies_of_the_databases_does_not_bring_an_erased_customer_back(
    scratch_databases: dict[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RESTORE_SCENARIO],
        cwd=ROOT,
        env=scratch_databases,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    lines = [line[6:] for line in result.stdout.splitlines() if line.startswith("STATE ")]
    other = "other: +447911000004"
    assert lines == [
        f"before: account: True phone: +447911000003 key: True tombstones: [] {other}",
        f"erased: account: False phone: none key: False tombstones: ['default', 'vault'] {other}",
        # The older primary brings the account back, but its key is gone: unreadable.
        "primary restored: account: True phone: unreadable key: False tombstones: ['vault'] "
        + other,
        f"tombstones applied: account: False phone: none key: False "
        f"tombstones: ['default', 'vault'] {other}",
        # The older key store brings the key back; the primary's list remembers.
        "key store restored: account: False phone: none key: True tombstones: ['default'] " + other,
        f"tombstones applied again: account: False phone: none key: False "
        f"tombstones: ['default', 'vault'] {other}",
    ]

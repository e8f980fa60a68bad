"""What a disk, a dump or a backup holds: ciphertext, and nothing after shredding."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from roamwise.accounts.models import Profile, User
from roamwise.accounts.services import parental_consent_request
from roamwise.testing.fixtures.databases import scratch_environment

ROOT = Path(__file__).resolve().parents[3]
KNOWN = {
    "phone": "+447911000001",
    "date_of_birth": "1987-03-09",
    "first_name": "Zebedee",
    "last_name": "Quaxley",
    "parent_email": "guardian.quaxley@example.org",
}


def database_dump() -> bytes:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(settings["NAME"])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    return subprocess.run(
        [
            "pg_dump",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"],
            settings["NAME"],
        ],
        env=env,
        capture_output=True,
        check=True,
    ).stdout


@pytest.mark.commitment("SEC-02")
@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_plaintext_of_encrypted_fields() -> None:
    user = User.objects.create_user(
        "zebedee_q",
        "zq@example.com",
        "a long passphrase 1",
        first_name=KNOWN["first_name"],
        last_name=KNOWN["last_name"],
    )
    Profile.objects.create(user=user, phone=KNOWN["phone"], date_of_birth=KNOWN["date_of_birth"])
    parental_consent_request(child=user, parent_email=KNOWN["parent_email"])

    dump = database_dump()

    assert b"zebedee_q" in dump  # the dump is real: clear fields are there
    for name, value in KNOWN.items():
        assert value.encode() not in dump, f"{name} in clear in the dump"


RESTORE_SCENARIO = textwrap.dedent(
    """
    import os, shutil, sqlite3
    import django
    django.setup()
    from django.db import connections
    from roamwise.accounts.models import Profile, User
    from roamwise.vault import services
    from roamwise.vault.errors import DataErased
    user = User.objects.create_user("restored", "r@example.com", "a long passphrase 1")
    Profile.objects.create(user=user, phone="+447911000002", date_of_birth="1990-01-01")
    data_dir = os.environ["ROAMWISE_DATA_DIR"]
    live = os.path.join(data_dir, "db.sqlite3")
    backup = os.path.join(data_dir, "backup.sqlite3")
    connections.close_all()
    source = sqlite3.connect(live); target = sqlite3.connect(backup)
    source.backup(target); source.close(); target.close()
    print("before:", Profile.objects.get(user=user).phone)
    services.shred(user.public_id)
    connections.close_all()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(live + suffix):
            os.remove(live + suffix)
    shutil.copy(backup, live)
    services.clear_key_cache()
    profile = Profile.objects.get(user__username="restored")
    try:
        print("after:", profile.phone)
    except DataErased as exc:
        print("after: unreadable,", exc)
    """
)


@pytest.mark.commitment("SEC-05")
def test_restoring_an_earlier_database_file_brings_back_nothing_readable(
    migrated_data_dir: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RESTORE_SCENARIO],
        cwd=ROOT,
        env=scratch_environment(migrated_data_dir),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "before: +447911000002" in result.stdout
    assert "after: unreadable, erased" in result.stdout

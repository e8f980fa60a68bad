from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template

from roamwise.accounts.models import ParentalConsent, Profile, User
from roamwise.testing.people import make_customer
from roamwise.vault import keyring, services
from roamwise.vault.errors import DataErased, TamperedCiphertext
from roamwise.vault.fields import blind_index_lookup
from roamwise.vault.models import DataKey


def stored(table: str, column: str, where: str, value: object) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {where} = %s", [value])  # noqa: S608
        return cursor.fetchone()[0]


def fresh(model: type, pk: object) -> object:
    services.clear_key_cache()
    return model.objects.get(pk=pk)


@pytest.mark.commitment("SEC-02")
def test_encrypted_fields_hold_ciphertext_and_read_back_plaintext(alice: User) -> None:
    raw = stored("accounts_profile", "phone", "user_id", alice.pk)

    assert raw.startswith(f"v1.{alice.public_id.hex}.")
    assert "7911123456" not in raw
    profile = fresh(Profile, alice.profile.pk)
    assert profile.phone == "+447911123456"
    assert profile.date_of_birth == date(1990, 5, 17)


@pytest.mark.commitment("SEC-02")
def test_each_value_uses_a_fresh_nonce(alice: User) -> None:
    profile = alice.profile
    tokens = set()
    for _ in range(3):
        profile.phone = "+447911123456"  # same value, same subject, same row
        profile.save()
        tokens.add(stored("accounts_profile", "phone", "user_id", alice.pk))

    assert len(tokens) == 3
    nonces = {services.crypto.unb64(t.split(".")[2])[:12] for t in tokens}
    assert len(nonces) == 3


@pytest.mark.commitment("SEC-02")
def test_ciphertext_moved_to_another_row_or_column_does_not_open(alice: User, bob: User) -> None:
    alice_phone = stored("accounts_profile", "phone", "user_id", alice.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_profile SET phone = %s WHERE user_id = %s", [alice_phone, bob.pk]
        )
        cursor.execute(
            "UPDATE accounts_profile SET date_of_birth = %s WHERE user_id = %s",
            [alice_phone, alice.pk],
        )

    with pytest.raises(TamperedCiphertext):
        _ = fresh(Profile, bob.profile.pk).phone
    with pytest.raises(TamperedCiphertext):
        _ = fresh(Profile, alice.profile.pk).date_of_birth


def test_encrypted_fields_refuse_lookups_but_the_blind_index_finds(alice: User, bob: User) -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Profile.objects.filter(phone="+447911123456"))

    Profile.objects.filter(pk=bob.profile.pk).update(phone_index="")
    found = Profile.objects.filter(**blind_index_lookup(Profile, "phone_index", "+447911123456"))
    assert list(found) == [alice.profile]


@pytest.mark.commitment("SEC-05")
@pytest.mark.commitment("RGT-03")
def test_shredding_makes_every_encrypted_field_of_the_subject_unreadable(
    alice: User, bob: User
) -> None:
    alice.first_name = "Alice"
    alice.save()

    assert services.shred(alice.public_id) is True

    profile = fresh(Profile, alice.profile.pk)
    with pytest.raises(DataErased, match="erased"):
        _ = profile.phone
    with pytest.raises(DataErased):
        _ = profile.date_of_birth
    with pytest.raises(DataErased):
        _ = fresh(User, alice.pk).first_name
    # Templates show an erased value as empty rather than failing the page.
    assert Template("[{{ p.phone }}]").render(Context({"p": profile})) == "[]"
    # Other subjects are untouched.
    assert fresh(Profile, bob.profile.pk).phone == "+447911123456"


@pytest.mark.commitment("SEC-05")
def test_a_copy_taken_before_shredding_is_unreadable_after(alice: User) -> None:
    backup = {
        "phone": stored("accounts_profile", "phone", "user_id", alice.pk),
        "date_of_birth": stored("accounts_profile", "date_of_birth", "user_id", alice.pk),
    }

    services.shred(alice.public_id)
    # Restore the copied values into the live table, as a restore would.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_profile SET phone = %s, date_of_birth = %s WHERE user_id = %s",
            [backup["phone"], backup["date_of_birth"], alice.pk],
        )

    profile = fresh(Profile, alice.profile.pk)
    with pytest.raises(DataErased):
        _ = profile.phone


def test_the_parent_email_is_encrypted_under_the_childs_key(alice: User) -> None:
    from roamwise.accounts.services import parental_consent_request

    parental_consent_request(child=alice, parent_email="mum@example.com")
    raw = stored("accounts_parentalconsent", "parent_email", "child_id", alice.pk)

    assert raw.startswith(f"v1.{alice.public_id.hex}.")
    assert (
        fresh(ParentalConsent, ParentalConsent.objects.get().pk).parent_email == "mum@example.com"
    )


@pytest.fixture
def own_keyring(tmp_path: Path, settings: object) -> Path:
    path = tmp_path / "keyring.json"
    shutil.copy(settings.KEYRING_FILE, path)  # type: ignore[attr-defined]
    settings.KEYRING_FILE = path  # type: ignore[attr-defined]
    keyring.reload_keyring()
    yield path
    settings.KEYRING_FILE = Path(settings.DATA_DIR) / "keyring.json"  # type: ignore[attr-defined]
    keyring.reload_keyring()


@pytest.mark.commitment("SEC-02")
def test_rotation_rewraps_every_key_and_keeps_every_field_readable(
    own_keyring: Path, db: None
) -> None:
    customers = [make_customer(f"customer{i}") for i in range(7)]
    for customer in customers:
        customer.first_name = f"Name{customer.pk}"
        customer.save()
    old_version = keyring.get_keyring().active_version
    rows_before = list(Profile.objects.values_list("phone", flat=True).order_by("pk"))

    new_version = keyring.add_kek()
    call_command("vault_rotate", "--dry-run", "--chunk-size", "3")
    assert set(DataKey.objects.values_list("kek_version", flat=True)) == {old_version}

    call_command("vault_rotate", "--chunk-size", "3")

    assert set(DataKey.objects.values_list("kek_version", flat=True)) == {new_version}
    # Rows were not touched: only the keys' wrapping changed.
    assert list(Profile.objects.values_list("phone", flat=True).order_by("pk")) == rows_before
    keyring.retire_kek(old_version)
    assert str(old_version) not in json.loads(own_keyring.read_text())["keys"]
    for customer in customers:
        assert fresh(Profile, customer.profile.pk).phone == "+447911123456"
        assert fresh(User, customer.pk).first_name == f"Name{customer.pk}"


def test_a_key_version_still_in_use_cannot_be_retired(own_keyring: Path, alice: User) -> None:
    from django.core.management.base import CommandError

    old_version = keyring.get_keyring().active_version
    keyring.add_kek()

    with pytest.raises(CommandError, match="still wrap"):
        call_command("vault_retire_kek", str(old_version))


@pytest.mark.commitment("SEC-02")
def test_totp_seeds_are_stored_encrypted(alice: User) -> None:
    from allauth.mfa.models import Authenticator

    from roamwise.testing.people import enable_totp

    secret = enable_totp(alice)

    stored_data = Authenticator.objects.get(user=alice).data
    assert secret not in json.dumps(stored_data)
    assert stored_data["secret"].startswith("sys1.")


def test_keys_live_in_the_key_store_not_the_primary_database(alice: User) -> None:
    assert DataKey.objects.db == "vault"
    assert DataKey.objects.filter(subject_id=alice.public_id).exists()
    assert "vault_datakey" not in connection.introspection.table_names()
    assert settings.DATABASES["vault"]["NAME"] != settings.DATABASES["default"]["NAME"]


@pytest.mark.commitment("SEC-02")
def test_serialised_records_hold_ciphertext(alice: User) -> None:
    from io import StringIO

    out = StringIO()
    call_command("dumpdata", "accounts.profile", "accounts.user", stdout=out)
    dumped = json.loads(out.getvalue())

    profile = next(r for r in dumped if r["model"] == "accounts.profile")
    assert profile["fields"]["phone"] == stored("accounts_profile", "phone", "user_id", alice.pk)
    assert "7911123456" not in out.getvalue() and "1990-05-17" not in out.getvalue()


def test_every_process_sees_a_new_key_version_without_restarting(
    own_keyring: Path, alice: User
) -> None:
    import os
    import subprocess
    import sys

    # Another process adds a key and rotates; this one only reads the file again.
    keyring.get_keyring()
    env = {**os.environ, "ROAMWISE_KEYRING_FILE": str(own_keyring)}
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();from roamwise.vault.keyring import add_kek; add_kek()",
        ],
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    new_version = keyring.get_keyring().active_version
    list(services.rotate_keys())

    assert DataKey.objects.get(subject_id=alice.public_id).kek_version == new_version
    assert fresh(Profile, alice.profile.pk).phone == "+447911123456"


def test_a_phone_change_updates_its_blind_index(alice: User) -> None:
    from roamwise.accounts.services import profile_update_phone

    profile_update_phone(user=alice, phone="+447911999888")

    assert Profile.objects.filter(**blind_index_lookup(Profile, "phone_index", "+447911999888"))
    assert not Profile.objects.filter(**blind_index_lookup(Profile, "phone_index", "+447911123456"))

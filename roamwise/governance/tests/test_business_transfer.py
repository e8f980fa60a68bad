"""Business transfer (SHR-06): the whole customer base exported with its policy
obligations attached, checksummed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pyrage
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from roamwise.accounts.models import User
from roamwise.consent.services import consent_record
from roamwise.datamap.registry import data_map
from roamwise.governance import transfer
from roamwise.retention.services import legal_hold_place

NAMES = {
    "data-map.json",
    "policy.json",
    "subjects.jsonl",
    "legal-holds.jsonl",
    "manifest.json",
    "SHA256SUMS",
}


@pytest.fixture
def base(alice: User, bob: User, staff: User) -> dict[str, User]:
    carol = User.objects.create_user(username="carol", email="carol@example.com")
    consent_record(purpose="marketing", granted=True, source="settings", user=alice)
    legal_hold_place(
        subject_id=bob.public_id, kind="dispute", reason="Chargeback 88", model="orders.Order"
    )
    return {"alice": alice, "bob": bob, "carol": carol, "staff": staff}


def read(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return {
            "names": set(archive.namelist()),
            "manifest": json.loads(archive.read("manifest.json")),
            "data_map": json.loads(archive.read("data-map.json")),
            "policy": json.loads(archive.read("policy.json")),
            "subjects": [json.loads(line) for line in archive.read("subjects.jsonl").splitlines()],
            "holds": [json.loads(line) for line in archive.read("legal-holds.jsonl").splitlines()],
            "sums": archive.read("SHA256SUMS").decode(),
            "raw": {name: archive.read(name) for name in archive.namelist()},
        }


@pytest.mark.commitment("SHR-06")
def test_the_export_holds_every_customer_with_the_data_map_and_obligations(
    base: dict[str, User], tmp_path: Path
) -> None:
    out = tmp_path / "transfer.zip"

    export = transfer.business_transfer_export(out=out, chunk_size=2)
    got = read(out)

    assert got["names"] == NAMES
    customers = {str(base[n].public_id) for n in ("alice", "bob", "carol")}
    assert {s["subject_id"] for s in got["subjects"]} == customers
    assert str(base["staff"].public_id) not in {s["subject_id"] for s in got["subjects"]}
    assert export.subjects == 3 and got["manifest"]["counts"]["subjects"] == 3
    assert got["manifest"]["format"] == "roamwise-business-transfer"
    assert got["manifest"]["policy_version"] == settings.PRIVACY_POLICY_VERSION
    assert got["policy"]["policy_version"] == settings.PRIVACY_POLICY_VERSION
    assert got["policy"]["privacy_contact"]["email"] == settings.PRIVACY_EMAIL

    by_id = {s["subject_id"]: s for s in got["subjects"]}
    alice = by_id[str(base["alice"].public_id)]
    values = {(r["model"], k): v for r in alice["records"] for k, v in r["values"].items()}
    assert values[("accounts.Profile", "phone")] == "+447911123456"
    assert values[("accounts.Profile", "date_of_birth")] == "1990-05-17"
    assert values[("accounts.User", "email")] == "alice@example.com"
    assert alice["consent"]["choices"]["marketing"] is True
    assert alice["consent"]["latest"]["marketing"]["policy_version"] == (
        settings.PRIVACY_POLICY_VERSION
    )
    assert alice["legal_holds"] == []
    bob = by_id[str(base["bob"].public_id)]
    assert [(h["kind"], h["model"], h["reason"]) for h in bob["legal_holds"]] == [
        ("dispute", "orders.order", "Chargeback 88")
    ]
    assert bob["consent"]["choices"]["marketing"] is None
    carol = by_id[str(base["carol"].public_id)]
    assert "accounts.Profile" not in {r["model"] for r in carol["records"]}
    assert [h["subject_id"] for h in got["holds"]] == [str(base["bob"].public_id)]

    # The data map travels with the data: every declaration with its rules.
    declarations = {d["model"]: d for d in got["data_map"]["declarations"]}
    assert set(declarations) == {d.model for d in data_map}
    profile = declarations["accounts.Profile"]
    assert profile["legal_basis"] == "contract"
    assert profile["erasure"]["action"] == "delete"
    assert {"name": "phone", "category": "user.contact.phone_number", "editable": True} in (
        profile["fields"]
    )
    orders = declarations["orders.Order"]
    assert orders["retention"]["legal_obligation"].startswith("Tax law")
    assert orders["recipients"] == ["payment", "hosting"]
    assert len(got["data_map"]["records_of_processing"]) == len(data_map)
    assert got["data_map"]["vocabulary"]["recipients"]["authority"]


@pytest.mark.commitment("SHR-06")
def test_every_file_has_a_checksum_that_verifies(base: dict[str, User], tmp_path: Path) -> None:
    out = tmp_path / "transfer.zip"
    transfer.business_transfer_export(out=out)
    got = read(out)

    listed = dict(reversed(line.split("  ", 1)) for line in got["sums"].splitlines())
    assert set(listed) == NAMES - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(got["raw"][name]).hexdigest() == digest
    for entry in got["manifest"]["files"]:
        assert listed[entry["name"]] == entry["sha256"]
        assert len(got["raw"][entry["name"]]) == entry["bytes"]
    assert transfer.business_transfer_verify(path=out) == []

    # One byte changed in one customer's line is caught.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in got["raw"].items():
            if name == "subjects.jsonl":
                content = content.replace(b"alice@example.com", b"alice@example.org")
            archive.writestr(name, content)
    assert transfer.business_transfer_verify(path=tampered) == [
        "subjects.jsonl: checksum does not match"
    ]


@pytest.mark.commitment("SHR-06")
def test_the_command_writes_the_export_and_will_not_overwrite(
    base: dict[str, User], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "transfer.zip"

    call_command("business_transfer_export", str(out), "--plaintext")
    first = out.read_bytes()
    with pytest.raises(CommandError, match="exists"):
        call_command("business_transfer_export", str(out), "--plaintext")
    call_command("business_transfer_export", str(out), "--verify")

    assert "3 customers" in capsys.readouterr().out
    assert out.read_bytes() == first
    assert not (tmp_path / "transfer.zip.partial").exists()


@pytest.mark.commitment("SHR-06")
def test_the_export_is_encrypted_for_the_buyer_and_only_their_key_opens_it(
    base: dict[str, User], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buyer = pyrage.x25519.Identity.generate()
    stranger = pyrage.x25519.Identity.generate()
    keys = tmp_path / "buyer.key"
    keys.write_text(f"# created: for the test\n{buyer}\n")
    wrong = tmp_path / "stranger.key"
    wrong.write_text(f"{stranger}\n")
    out = tmp_path / "transfer.zip.age"

    call_command("business_transfer_export", str(out), "--recipient", str(buyer.to_public()))

    assert "encrypted for its recipients" in capsys.readouterr().out
    sealed = out.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1")
    assert not zipfile.is_zipfile(out)
    # Nothing of any customer is readable in the file, nor left in clear beside it.
    for user in base.values():
        assert user.email.encode() not in sealed
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "buyer.key",
        "stranger.key",
        "transfer.zip.age",
    ]
    call_command("business_transfer_export", str(out), "--verify", "--identity", str(keys))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("business_transfer_export", str(out), "--verify", "--identity", str(wrong))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("business_transfer_export", str(out), "--verify")
    clear = tmp_path / "opened.zip"
    pyrage.decrypt_file(str(out), str(clear), [buyer])
    assert len(read(clear)["subjects"]) == 3


def test_the_command_wants_a_key_or_an_explicit_plaintext_and_checks_the_key(
    tmp_path: Path, db: None
) -> None:
    out = tmp_path / "transfer.zip"

    with pytest.raises(CommandError, match="--recipient age1"):
        call_command("business_transfer_export", str(out))
    with pytest.raises(CommandError, match="is not an age public key"):
        call_command("business_transfer_export", str(out), "--recipient", "age1nonsense")
    with pytest.raises(CommandError, match="not both"):
        call_command(
            "business_transfer_export",
            str(out),
            "--plaintext",
            "--recipient",
            str(pyrage.x25519.Identity.generate().to_public()),
        )
    assert list(tmp_path.iterdir()) == []


def test_the_policy_version_is_read_in_one_place(settings: Any, tmp_path: Path, db: None) -> None:
    settings.PRIVACY_POLICY_VERSION = "2031-07"
    out = tmp_path / "transfer.zip"

    transfer.business_transfer_export(out=out)

    assert transfer.policy_version_in_force() == "2031-07"
    assert read(out)["manifest"]["policy_version"] == "2031-07"

"""Business-transfer export (SHR-06): the whole customer base with the policy
obligations attached, as one ZIP file.

Per customer: every declared personal field, read through the data map's own
walker (``personal_data_of``), their consent state and the legal holds on
their records. With it: the data map itself (records of processing: purposes,
legal bases, retention, erasure, recipients, locations), the policy version in
force, every open legal hold, a manifest and SHA-256 checksums. Written
entry by entry and customer by customer, so memory stays flat whatever the
size of the base. The format is documented in docs/business-transfer-export.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import pyrage
from django.conf import settings
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.consent.selectors import (
    consent_choices,
    consent_state,
    latest_records,
    objections_of,
)
from roamwise.core.errors import DomainError
from roamwise.datamap.registry import SELF, data_map
from roamwise.datamap.selectors import personal_data_of, records_of_processing
from roamwise.datamap.vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS
from roamwise.kernel.policies import policy_version_label
from roamwise.retention.models import LegalHold

FORMAT = "roamwise-business-transfer"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
DATA_MAP = "data-map.json"
POLICY = "policy.json"
SUBJECTS = "subjects.jsonl"
LEGAL_HOLDS = "legal-holds.jsonl"
READ_CHUNK = 1 << 20
# The first line of every age file (age-encryption.org/v1).
AGE_HEADER = b"age-encryption.org/v1"


class TransferExportError(DomainError):
    code = "transfer_export_failed"


def policy_version_in_force() -> str:
    """The privacy policy version the customers' data is held under: the
    published version in force (the setting only until one is published)."""
    return policy_version_label()


def jsonable(value: Any) -> Any:
    """A value read from the data map, as JSON can carry it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, models.Model):
        # A related row: named by its public id where it has one.
        public_id = getattr(value, "public_id", None)
        return {"model": value._meta.label, "id": str(public_id or value.pk)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- The documents ------------------------------------------------------------------


def data_map_document() -> dict[str, Any]:
    """The data map as data: each declaration with its codes, and the labels."""
    declarations = []
    for d in data_map:
        declarations.append(
            {
                "model": d.model,
                "description": str(d.description),
                "subject": d.subject if isinstance(d.subject, str) else "function",
                "self": d.subject == SELF,
                "fields": [
                    {"name": f.name, "category": f.category, "editable": f.editable}
                    for f in d.fields
                ],
                "purposes": list(d.purposes),
                "legal_basis": d.legal_basis,
                "retention": {
                    "action": d.retention.action,
                    "period_days": d.retention.period.days if d.retention.period else None,
                    "anchor": d.retention.anchor,
                    "legal_obligation": d.retention.legal_obligation,
                    "summary": d.retention.describe(),
                },
                "erasure": {
                    "action": d.erasure.action,
                    "legal_obligation": d.erasure.legal_obligation,
                },
                "recipients": list(d.recipients),
                "location": d.location,
            }
        )
    return {
        "declarations": declarations,
        "records_of_processing": [jsonable(asdict(r)) for r in records_of_processing()],
        "vocabulary": {
            "categories": CATEGORIES,
            "purposes": PURPOSES,
            "legal_bases": LEGAL_BASES,
            "recipients": RECIPIENTS,
            "locations": LOCATIONS,
        },
    }


def policy_document(*, now: dt.datetime) -> dict[str, Any]:
    return {
        "policy_version": policy_version_in_force(),
        "controller": settings.SITE_NAME,
        "privacy_contact": {
            "email": settings.PRIVACY_EMAIL,
            "phone": settings.PRIVACY_PHONE,
            "address": settings.PRIVACY_ADDRESS,
        },
        "supervisory_authority": {
            "name": settings.SUPERVISORY_AUTHORITY_NAME,
            "url": settings.SUPERVISORY_AUTHORITY_URL,
        },
        "obligations": (
            "Each record is held under the purposes, legal basis, retention and erasure "
            "rules of its model in data-map.json; each customer's consent choices and "
            "legal holds are in their line of subjects.jsonl. A recipient of this export "
            "takes these obligations over with the data."
        ),
        "exported_at": now.isoformat(),
    }


def _hold(hold: LegalHold) -> dict[str, Any]:
    return {
        "subject_id": str(hold.subject_id),
        "model": hold.model,
        "object_id": hold.object_id,
        "kind": hold.kind,
        "reason": hold.reason,
        "reference": hold.reference,
        "placed_at": hold.placed_at.isoformat(),
    }


def subject_document(user: User, holds: list[LegalHold]) -> dict[str, Any]:
    """One customer: their data from the data map, consent state and legal holds."""
    records = [
        {
            "model": held.model,
            "row_id": held.row_id,
            "values": {v.name: jsonable(v.value) for v in held.values},
        }
        for held in personal_data_of(user)
    ]
    latest = {
        purpose: {
            "granted": record.granted,
            "source": record.source,
            "policy_version": record.policy_version,
            "at": record.created_at.isoformat(),
        }
        for purpose, record in latest_records(user=user).items()
    }
    return {
        "subject_id": str(user.public_id),
        "consent": {
            "choices": consent_choices(user=user),
            "in_force": consent_state(user=user),
            "objections": objections_of(user=user),
            "latest": latest,
        },
        "legal_holds": [_hold(h) for h in holds],
        "records": records,
    }


def customers() -> models.QuerySet[User]:
    """The customer base: every account that is not a member of staff."""
    return User.objects.filter(is_staff=False).order_by("pk")


# --- Writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedFile:
    name: str
    sha256: str
    bytes: int
    lines: int | None = None


@dataclass(frozen=True)
class TransferExport:
    path: Path
    subjects: int
    records: int
    legal_holds: int
    files: tuple[ExportedFile, ...]
    manifest_sha256: str
    encrypted: bool = False


# --- Encryption for the buyer (age, X25519) ---------------------------------------


def age_recipients(keys: Sequence[str]) -> list[pyrage.x25519.Recipient]:
    """The buyer's public keys ("age1..."), checked before anything is written."""
    parsed = []
    for key in keys:
        try:
            parsed.append(pyrage.x25519.Recipient.from_str(key.strip()))
        except pyrage.RecipientError:
            raise TransferExportError(
                gettext("%(key)r is not an age public key (age1...).") % {"key": key}
            ) from None
    return parsed


def age_identities(text: str) -> list[pyrage.x25519.Identity]:
    """The secret keys of an age identity file ("AGE-SECRET-KEY-1..." lines;
    "#" comments, as age-keygen writes them)."""
    identities = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise TransferExportError(
                gettext("The identity file holds a line that is not an age key.")
            ) from None
    if not identities:
        raise TransferExportError(gettext("The identity file holds no age key."))
    return identities


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(AGE_HEADER)) == AGE_HEADER


class _Entry:
    """A ZIP entry written in pieces, hashed and counted as it goes."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.name = name
        self._handle: IO[bytes] = archive.open(name, "w", force_zip64=True)
        self._hash = hashlib.sha256()
        self._size = 0
        self.lines = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._hash.update(data)
        self._size += len(data)
        self._handle.write(data)

    def line(self, document: Any) -> None:
        self.write(_dumps(document) + "\n")
        self.lines += 1

    def close(self, *, counted: bool = False) -> ExportedFile:
        self._handle.close()
        return ExportedFile(
            self.name, self._hash.hexdigest(), self._size, self.lines if counted else None
        )


def _holds_by_subject(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LegalHold]]:
    found: dict[uuid.UUID, list[LegalHold]] = {}
    for hold in LegalHold.objects.filter(
        subject_id__in=user_ids, released_at__isnull=True
    ).order_by("placed_at", "pk"):
        found.setdefault(hold.subject_id, []).append(hold)
    return found


def _chunks(queryset: models.QuerySet[User], size: int) -> Iterator[list[User]]:
    chunk: list[User] = []
    for user in queryset.iterator(chunk_size=size):
        chunk.append(user)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def business_transfer_export(
    *,
    out: str | Path,
    chunk_size: int = 200,
    recipients: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> TransferExport:
    """Write the export to ``out``; replaced only once complete. With
    ``recipients`` (the buyer's age public keys) the ZIP is encrypted for
    them: only their secret key opens ``out``, and the clear ZIP exists only
    as a ``.partial`` file beside it while the export runs."""
    now = now or timezone.now()
    sealed_for = age_recipients(recipients)
    target = Path(out)
    partial = target.with_name(target.name + ".partial")
    sealing = target.with_name(target.name + ".sealing")
    files: list[ExportedFile] = []
    subjects = records = holds = 0
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, document in (
                (DATA_MAP, data_map_document()),
                (POLICY, policy_document(now=now)),
            ):
                entry = _Entry(archive, name)
                entry.write(json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2))
                files.append(entry.close())

            entry = _Entry(archive, SUBJECTS)
            for chunk in _chunks(customers(), chunk_size):
                holds_of = _holds_by_subject([u.public_id for u in chunk])
                for user in chunk:
                    document = subject_document(user, holds_of.get(user.public_id, []))
                    records += len(document["records"])
                    entry.line(document)
            subjects = entry.lines
            files.append(entry.close(counted=True))

            entry = _Entry(archive, LEGAL_HOLDS)
            for hold in (
                LegalHold.objects.filter(released_at__isnull=True)
                .order_by("pk")
                .iterator(chunk_size=chunk_size)
            ):
                entry.line(_hold(hold))
            holds = entry.lines
            files.append(entry.close(counted=True))

            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "generated_at": now.isoformat(),
                "controller": settings.SITE_NAME,
                "policy_version": policy_version_in_force(),
                "counts": {"subjects": subjects, "records": records, "legal_holds": holds},
                "files": [asdict(f) for f in files],
            }
            entry = _Entry(archive, MANIFEST)
            entry.write(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2))
            manifest_file = entry.close()

            entry = _Entry(archive, CHECKSUMS)
            for f in [*files, manifest_file]:
                entry.write(f"{f.sha256}  {f.name}\n")
            entry.close()
        if sealed_for:
            pyrage.encrypt_file(str(partial), str(sealing), sealed_for)
            os.replace(sealing, target)
        else:
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        sealing.unlink(missing_ok=True)
    return TransferExport(
        path=target,
        subjects=subjects,
        records=records,
        legal_holds=holds,
        files=tuple(files),
        manifest_sha256=manifest_file.sha256,
        encrypted=bool(sealed_for),
    )


def _entry_sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        for block in iter(lambda: handle.read(READ_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def business_transfer_verify(*, path: str | Path, identity: str = "") -> list[str]:
    """What is wrong with an export: missing files or checksums that do not
    match. An empty list means every file is as it was written. An encrypted
    export needs the text of an identity file of one of its recipients; it is
    decrypted into a private temporary folder, checked, and removed."""
    source = Path(path)
    try:
        encrypted = is_encrypted(source)
    except OSError as exc:
        return [f"not readable: {exc}"]
    if not encrypted:
        return _zip_problems(source)
    if not identity:
        return ["encrypted for its recipients: give the identity file of one of them"]
    keys = age_identities(identity)
    with tempfile.TemporaryDirectory(prefix="roamwise-transfer-") as folder:
        clear = Path(folder) / "export.zip"
        try:
            pyrage.decrypt_file(str(source), str(clear), keys)
        except pyrage.DecryptError:
            return ["cannot be decrypted with this identity (or it is damaged)"]
        return _zip_problems(clear)


def _zip_problems(path: Path) -> list[str]:
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"not a readable ZIP file: {exc}"]
    with archive:
        names = set(archive.namelist())
        if CHECKSUMS not in names or MANIFEST not in names:
            return [f"{CHECKSUMS} or {MANIFEST} is missing"]
        listed: dict[str, str] = {}
        for line in archive.read(CHECKSUMS).decode("utf-8").splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        manifest = json.loads(archive.read(MANIFEST))
        for entry in manifest.get("files", []):
            if listed.get(entry["name"]) != entry["sha256"]:
                problems.append(f"{entry['name']}: manifest and {CHECKSUMS} disagree")
        for name in sorted(names - set(listed) - {CHECKSUMS}):
            problems.append(f"{name}: not listed in {CHECKSUMS}")
        for name, digest in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name}: missing")
            elif _entry_sha256(archive, name) != digest:
                problems.append(f"{name}: checksum does not match")
    return problems

"""Data keys: create, unwrap (cached per request), shred, rotate; seal and open values.

A sealed value is text: ``v1.<subject id hex>.<base64 nonce+ciphertext>``. The
subject id lets a value be opened without loading its owner; the associated
data (table, column, row, subject) makes a value moved anywhere else fail.
Unwrapped keys are cached as ready AES-GCM objects, keyed by the subject's hex
id, for the length of one request or job.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from . import crypto
from .errors import DataErased, TamperedCiphertext
from .keyring import get_keyring
from .models import DataKey, Tombstone
from .router import PRIMARY_DB, VAULT_DB

ENVELOPE_VERSION = "v1"
_MAX_CACHED_KEYS = 50_000


class _KeyCache(threading.local):
    def __init__(self) -> None:
        self.keys: dict[str, AESGCM] = {}


_cache = _KeyCache()


def clear_key_cache() -> None:
    """Forget every unwrapped key held by this thread (end of a request or job)."""
    _cache.keys.clear()


@contextmanager
def key_cache_scope() -> Iterator[None]:
    clear_key_cache()
    try:
        yield
    finally:
        clear_key_cache()


def _remember(subject_hex: str, key: bytes) -> AESGCM:
    if len(_cache.keys) >= _MAX_CACHED_KEYS:
        _cache.keys.clear()
    aead = crypto.cipher(key)
    _cache.keys[subject_hex] = aead
    return aead


def _wrap_aad(subject_id: uuid.UUID) -> bytes:
    return b"roamwise-data-key\x1f" + subject_id.bytes


def _unwrap(row: DataKey) -> bytes:
    kek = get_keyring().kek(row.kek_version)
    return crypto.decrypt(kek, bytes(row.wrapped_key), _wrap_aad(row.subject_id))


def _create_key(subject_id: uuid.UUID) -> bytes:
    keyring = get_keyring()
    key = crypto.new_data_key()
    wrapped = crypto.encrypt(keyring.active_kek, key, _wrap_aad(subject_id))
    try:
        with transaction.atomic(using=VAULT_DB):
            DataKey.objects.create(
                subject_id=subject_id, wrapped_key=wrapped, kek_version=keyring.active_version
            )
    except IntegrityError:
        # Another process created it first; theirs is the key.
        return _unwrap(DataKey.objects.get(subject_id=subject_id))
    return key


def data_key(subject_id: uuid.UUID, *, create: bool) -> AESGCM:
    return _data_key(subject_id.hex, create=create)


def _data_key(subject_hex: str, *, create: bool) -> AESGCM:
    aead = _cache.keys.get(subject_hex)
    if aead is not None:
        return aead
    subject_id = uuid.UUID(hex=subject_hex)
    row = DataKey.objects.filter(subject_id=subject_id).first()
    if row is not None:
        key = _unwrap(row)
    elif create:
        key = _create_key(subject_id)
    else:
        raise DataErased(subject_id)
    return _remember(subject_hex, key)


def prefetch_keys(subject_ids: Iterable[uuid.UUID | str]) -> int:
    """Unwrap many subjects' keys with one query (for lists); ids or hex ids."""
    wanted = {
        uuid.UUID(hex=s) if isinstance(s, str) else s
        for s in subject_ids
        if (s if isinstance(s, str) else s.hex) not in _cache.keys
    }
    if not wanted:
        return 0
    for row in DataKey.objects.filter(subject_id__in=wanted):
        _remember(row.subject_id.hex, _unwrap(row))
    return len(wanted)


def create_keys(subject_ids: Iterable[uuid.UUID]) -> int:
    """Create the data keys of many new subjects with one insert (bulk imports)."""
    keyring = get_keyring()
    wanted = {s for s in subject_ids if s.hex not in _cache.keys}
    existing = set(
        DataKey.objects.filter(subject_id__in=wanted).values_list("subject_id", flat=True)
    )
    new_rows, new_keys = [], {}
    for subject_id in wanted - existing:
        key = crypto.new_data_key()
        new_keys[subject_id] = key
        new_rows.append(
            DataKey(
                subject_id=subject_id,
                wrapped_key=crypto.encrypt(keyring.active_kek, key, _wrap_aad(subject_id)),
                kek_version=keyring.active_version,
            )
        )
    with transaction.atomic(using=VAULT_DB):
        DataKey.objects.bulk_create(new_rows, batch_size=1000)
    for subject_id, key in new_keys.items():
        _remember(subject_id.hex, key)
    return len(new_rows)


def has_key(subject_id: uuid.UUID) -> bool:
    return DataKey.objects.filter(subject_id=subject_id).exists()


def shred(subject_id: uuid.UUID) -> bool:
    """Destroy a subject's data key. Every value sealed with it, in this
    database and in any copy or backup of it, can never be opened again."""
    _cache.keys.pop(subject_id.hex, None)
    deleted, _ = DataKey.objects.filter(subject_id=subject_id).delete()
    return deleted > 0


def keys_present(subject_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these subjects still have a data key (a restored key store)."""
    wanted = list(subject_ids)
    found: set[uuid.UUID] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            DataKey.objects.filter(subject_id__in=chunk).values_list("subject_id", flat=True)
        )
    return found


# --- Tombstones: the subjects that were erased (SEC-05, ADR 0010) ---

TOMBSTONE_COPIES = (VAULT_DB, PRIMARY_DB)


def tombstone_write(*, subject_id: uuid.UUID, erased_at: datetime) -> None:
    """Remember, in both databases, that a subject was erased. Idempotent:
    a second erasure of the same subject keeps the first date."""
    for alias in TOMBSTONE_COPIES:
        with transaction.atomic(using=alias):
            Tombstone.objects.using(alias).get_or_create(
                subject_id=subject_id, defaults={"erased_at": erased_at}
            )


@dataclass(frozen=True)
class TombstoneList:
    # Every erased subject found in either copy, with the earliest date.
    erased: dict[uuid.UUID, datetime]
    # Tombstones one copy had lost (its database was restored), put back.
    copied_to: dict[str, int]


def tombstones_sync(*, dry_run: bool = False) -> TombstoneList:
    """The union of both copies of the list; each copy is completed from the
    other unless ``dry_run``. A restore of one database rolls its copy back;
    the other still knows."""
    copies = {
        alias: dict(Tombstone.objects.using(alias).values_list("subject_id", "erased_at"))
        for alias in TOMBSTONE_COPIES
    }
    erased: dict[uuid.UUID, datetime] = {}
    for copy in copies.values():
        for subject_id, erased_at in copy.items():
            known = erased.get(subject_id)
            erased[subject_id] = erased_at if known is None else min(known, erased_at)
    copied_to: dict[str, int] = {}
    for alias, copy in copies.items():
        missing = [Tombstone(subject_id=s, erased_at=erased[s]) for s in erased if s not in copy]
        copied_to[alias] = len(missing)
        if missing and not dry_run:
            with transaction.atomic(using=alias):
                Tombstone.objects.using(alias).bulk_create(
                    missing, batch_size=500, ignore_conflicts=True
                )
    return TombstoneList(erased=erased, copied_to=copied_to)


# "v1." + 32 hex digits + "." + body
_HEX_END = len(ENVELOPE_VERSION) + 1 + 32


@dataclass(frozen=True)
class Sealed:
    """A value as stored: still encrypted."""

    token: str

    @property
    def subject_hex(self) -> str:
        return self.token[len(ENVELOPE_VERSION) + 1 : _HEX_END]

    @property
    def subject_id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.subject_hex)


def sealed_prefix(subject_id: uuid.UUID) -> str:
    """How every value sealed with this subject's key begins, as stored."""
    return f"{ENVELOPE_VERSION}.{subject_id.hex}."


def seal(subject_id: uuid.UUID, plaintext: bytes, associated_data: bytes) -> str:
    subject_hex = subject_id.hex
    aead = _data_key(subject_hex, create=True)
    body = crypto.encrypt(aead, plaintext, associated_data + subject_hex.encode())
    return f"{ENVELOPE_VERSION}.{subject_hex}.{crypto.b64(body)}"


def open_sealed(sealed: Sealed, associated_data: bytes) -> bytes:
    token = sealed.token
    if not token.startswith(ENVELOPE_VERSION + ".") or token[_HEX_END : _HEX_END + 1] != ".":
        raise TamperedCiphertext(gettext("not a sealed value"))
    subject_hex = token[len(ENVELOPE_VERSION) + 1 : _HEX_END]
    aead = _data_key(subject_hex, create=False)
    return crypto.decrypt(
        aead, crypto.unb64(token[_HEX_END + 1 :]), associated_data + subject_hex.encode()
    )


def blind_index(purpose: str, value: str) -> str:
    return crypto.blind_index(get_keyring().blind_index_key, purpose, value)


@dataclass(frozen=True)
class RotationResult:
    rewrapped: int
    remaining: int


def rotate_keys(*, chunk_size: int = 500, dry_run: bool = False) -> Iterator[RotationResult]:
    """Re-wrap every data key under the active KEK, a chunk at a time.

    Rows are never touched: only the wrapping changes. Yields progress after
    each chunk.
    """
    keyring = get_keyring()
    pending = DataKey.objects.exclude(kek_version=keyring.active_version)
    total = pending.count()
    done = 0
    last: uuid.UUID | None = None
    while True:
        chunk_query = pending.order_by("subject_id")
        if last is not None:
            chunk_query = chunk_query.filter(subject_id__gt=last)
        chunk = list(chunk_query[:chunk_size])
        if not chunk:
            break
        last = chunk[-1].subject_id
        if not dry_run:
            now = timezone.now()
            with transaction.atomic(using=VAULT_DB):
                for row in chunk:
                    key = _unwrap(row)
                    row.wrapped_key = crypto.encrypt(
                        keyring.active_kek, key, _wrap_aad(row.subject_id)
                    )
                    row.kek_version = keyring.active_version
                    row.rotated_at = now
                DataKey.objects.bulk_update(chunk, ["wrapped_key", "kek_version", "rotated_at"])
        done += len(chunk)
        yield RotationResult(rewrapped=done, remaining=total - done)


# --- Secrets that belong to the system rather than a subject (TOTP seeds) ---

_SYSTEM_AAD = b"roamwise-system-secret"


def seal_system_secret(plaintext: str, purpose: str) -> str:
    keyring = get_keyring()
    body = crypto.encrypt(keyring.active_kek, plaintext.encode(), _SYSTEM_AAD + purpose.encode())
    return f"sys1.{keyring.active_version}.{crypto.b64(body)}"


def open_system_secret(token: str, purpose: str) -> str:
    _, version, body = token.split(".", 2)
    kek = get_keyring().kek(int(version))
    return crypto.decrypt(kek, crypto.unb64(body), _SYSTEM_AAD + purpose.encode()).decode()


def is_system_secret(token: str) -> bool:
    return token.startswith("sys1.")

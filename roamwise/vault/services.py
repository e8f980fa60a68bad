"""Data keys: create, unwrap (cached per request), shred, rotate; seal and open values.

A sealed value is text: ``v1.<subject id hex>.<base64 nonce+ciphertext>``. The
subject id lets a value be opened without loading its owner; the associated
data (table, column, row, subject) makes a value moved anywhere else fail.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import crypto
from .errors import DataErased, TamperedCiphertext
from .keyring import get_keyring
from .models import DataKey
from .router import VAULT_DB

ENVELOPE_VERSION = "v1"
_MAX_CACHED_KEYS = 50_000


class _KeyCache(threading.local):
    def __init__(self) -> None:
        self.keys: dict[uuid.UUID, bytes] = {}


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


def _remember(subject_id: uuid.UUID, key: bytes) -> None:
    if len(_cache.keys) >= _MAX_CACHED_KEYS:
        _cache.keys.clear()
    _cache.keys[subject_id] = key


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


def data_key(subject_id: uuid.UUID, *, create: bool) -> bytes:
    key = _cache.keys.get(subject_id)
    if key is not None:
        return key
    row = DataKey.objects.filter(subject_id=subject_id).first()
    if row is not None:
        key = _unwrap(row)
    elif create:
        key = _create_key(subject_id)
    else:
        raise DataErased(subject_id)
    _remember(subject_id, key)
    return key


def prefetch_keys(subject_ids: Iterable[uuid.UUID]) -> int:
    """Unwrap many subjects' keys with one query (for lists)."""
    wanted = {s for s in subject_ids if s not in _cache.keys}
    if not wanted:
        return 0
    for row in DataKey.objects.filter(subject_id__in=wanted):
        _remember(row.subject_id, _unwrap(row))
    return len(wanted)


def has_key(subject_id: uuid.UUID) -> bool:
    return DataKey.objects.filter(subject_id=subject_id).exists()


def shred(subject_id: uuid.UUID) -> bool:
    """Destroy a subject's data key. Every value sealed with it, in this
    database and in any copy or backup of it, can never be opened again."""
    _cache.keys.pop(subject_id, None)
    deleted, _ = DataKey.objects.filter(subject_id=subject_id).delete()
    return deleted > 0


@dataclass(frozen=True)
class Sealed:
    """A value as stored: still encrypted."""

    token: str

    @property
    def subject_id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.token.split(".", 2)[1])


def seal(subject_id: uuid.UUID, plaintext: bytes, associated_data: bytes) -> str:
    key = data_key(subject_id, create=True)
    body = crypto.encrypt(key, plaintext, associated_data + subject_id.bytes)
    return f"{ENVELOPE_VERSION}.{subject_id.hex}.{crypto.b64(body)}"


def open_sealed(sealed: Sealed, associated_data: bytes) -> bytes:
    try:
        version, subject_hex, body = sealed.token.split(".", 2)
        subject_id = uuid.UUID(hex=subject_hex)
    except ValueError as exc:
        raise TamperedCiphertext("not a sealed value") from exc
    if version != ENVELOPE_VERSION:
        raise TamperedCiphertext(f"unknown envelope version {version!r}")
    key = data_key(subject_id, create=False)
    return crypto.decrypt(key, crypto.unb64(body), associated_data + subject_id.bytes)


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

"""The key-encryption keys (KEKs) by version, and the blind-index key.

Read from the keyring file (``ROAMWISE_KEYRING_FILE``). A KMS adapter would
implement the same three functions. Keys never appear in logs or reprs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from .errors import UnknownKeyVersion


@dataclass(frozen=True)
class Keyring:
    active_version: int
    keks: dict[int, bytes] = field(repr=False)
    blind_index_key: bytes = field(repr=False)

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError:
            raise UnknownKeyVersion(
                gettext("key-encryption key version %(version)s is not in the keyring")
                % {"version": version}
            ) from None

    @property
    def active_kek(self) -> bytes:
        return self.kek(self.active_version)


def _decode(value: str, what: str) -> bytes:
    raw = base64.b64decode(value)
    if len(raw) != 32:
        raise ImproperlyConfigured(f"keyring: {what} must be 32 bytes")
    return raw


def _path() -> Path:
    return Path(settings.KEYRING_FILE)


def get_keyring() -> Keyring:
    """The keyring as the file holds it now.

    Re-read when the file changes, so that every running process picks up a
    new key version (rotation runs in another process) without a restart.
    """
    path = _path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ImproperlyConfigured(f"keyring file {path} is unreadable: {exc}") from exc
    return _load(str(path), stamp)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Keyring:
    try:
        data = json.loads(Path(path).read_text())
        keks = {int(v): _decode(k, f"key {v}") for v, k in data["keys"].items()}
        keyring = Keyring(
            active_version=int(data["active_version"]),
            keks=keks,
            blind_index_key=_decode(data["blind_index_key"], "blind_index_key"),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"keyring file {path} is unreadable: {exc}") from exc
    keyring.kek(keyring.active_version)
    return keyring


def reload_keyring() -> Keyring:
    _load.cache_clear()
    return get_keyring()


def _write(data: dict) -> None:
    path = _path()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    reload_keyring()


def add_kek() -> int:
    """Add a new key-encryption key and make it the active one; return its version."""
    data = json.loads(_path().read_text())
    version = max(int(v) for v in data["keys"]) + 1
    data["keys"][str(version)] = base64.b64encode(secrets.token_bytes(32)).decode()
    data["active_version"] = version
    _write(data)
    return version


def retire_kek(version: int) -> None:
    data = json.loads(_path().read_text())
    if int(data["active_version"]) == version:
        raise ValueError("the active key-encryption key cannot be retired")
    if str(version) not in data["keys"]:
        raise UnknownKeyVersion(
            gettext("version %(version)s is not in the keyring") % {"version": version}
        )
    del data["keys"][str(version)]
    _write(data)


def audit_chain_key() -> bytes:
    """The key of the audit log's hash chain, derived from the blind-index key."""
    return hmac.new(get_keyring().blind_index_key, b"roamwise-audit-chain", hashlib.sha256).digest()

"""AES-256-GCM with random 96-bit nonces, and HMAC-SHA256 blind indexes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.translation import gettext

from .errors import TamperedCiphertext

NONCE_BYTES = 12


def cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(key: bytes | AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated_data)


def decrypt(key: bytes | AESGCM, sealed: bytes, associated_data: bytes) -> bytes:
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated_data)
    except InvalidTag as exc:
        raise TamperedCiphertext(
            gettext("the value does not authenticate for this row and column")
        ) from exc


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    try:
        return binascii.a2b_base64(text)
    except binascii.Error as exc:
        raise TamperedCiphertext(gettext("the value is not valid base64")) from exc


def blind_index(key: bytes, purpose: str, value: str) -> str:
    """Equality-searchable digest of ``value``; ``purpose`` separates columns."""
    message = f"{purpose}\x1f{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()

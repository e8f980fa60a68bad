"""The local keyring file: key-encryption keys by version, and the blind-index key.

Generated on first start in the data folder (never committed). The vault app
wraps each data subject's key with the newest key-encryption key listed here.
"""

from __future__ import annotations

import base64
import json
import secrets


def new_keyring_json() -> str:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return json.dumps(
        {"active_version": 1, "keys": {"1": key()}, "blind_index_key": key()},
        indent=2,
    )

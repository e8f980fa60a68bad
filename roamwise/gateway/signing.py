"""How the simulated gateway signs its webhooks (the merchant verifies them).

Header ``Gateway-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``,
the same construction Stripe uses.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"

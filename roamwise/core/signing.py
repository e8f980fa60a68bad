"""Signed notifications between systems that share a secret.

Header value ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``, the
construction Stripe uses: the simulated payment processor signs its webhooks
with it, and the SM-DP+ simulator its ES2+ notifications where no mutual TLS
stands in front of the shop.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.utils.translation import gettext

# The header the SM-DP+ signs its ES2+ notifications in (agreed with the operator).
ES2_NOTIFICATION_HEADER = "X-ES2-Signature"


class SignatureError(Exception):
    pass


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(body: bytes, header: str, secret: str, tolerance: int) -> None:
    """Raise ``SignatureError`` unless ``header`` signs ``body`` within the replay window."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    raw_timestamp, given = parts.get("t", ""), parts.get("v1")
    # Unix seconds: a dozen digits at most (a longer number overflows a float).
    if given is None or not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        raise SignatureError(gettext("The signature header is missing or malformed."))
    if len(raw_timestamp) > 12:
        raise SignatureError(gettext("The message is outside the replay window."))
    timestamp = int(raw_timestamp)
    if abs(time.time() - timestamp) > tolerance:
        raise SignatureError(gettext("The message is outside the replay window."))
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest().encode(), given.encode("utf-8", "replace")):
        raise SignatureError(gettext("The signature does not match."))

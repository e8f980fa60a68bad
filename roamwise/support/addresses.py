"""Signed reply-to addresses: ``support+<ticket id>-<mac>@<SUPPORT_REPLY_DOMAIN>``.

The MAC (HMAC-SHA256 keyed from SECRET_KEY) makes an address impossible to
make up for a ticket one has not been written from; an inbound email is
threaded only through such an address.
"""

from __future__ import annotations

import hmac
import re
import uuid
from email.utils import getaddresses

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "roamwise.support.reply-to"
_LOCAL = re.compile(r"^support\+([0-9a-f]{32})-([0-9a-f]{24})$")


def _mac(ticket_public_id: uuid.UUID) -> str:
    return salted_hmac(_SALT, ticket_public_id.hex, algorithm="sha256").hexdigest()[:24]


def reply_address(ticket_public_id: uuid.UUID) -> str:
    return (
        f"support+{ticket_public_id.hex}-{_mac(ticket_public_id)}@{settings.SUPPORT_REPLY_DOMAIN}"
    )


def ticket_id_from_address(address: str) -> uuid.UUID | None:
    """The ticket a signed address names, or None for anything forged or foreign."""
    local, _, domain = address.strip().lower().rpartition("@")
    if domain != settings.SUPPORT_REPLY_DOMAIN.lower():
        return None
    match = _LOCAL.match(local)
    if not match:
        return None
    ticket_id = uuid.UUID(hex=match.group(1))
    if not hmac.compare_digest(_mac(ticket_id), match.group(2)):
        return None
    return ticket_id


def addresses_in(*headers: str | list[str]) -> list[str]:
    values: list[str] = []
    for header in headers:
        values.extend([header] if isinstance(header, str) else header)
    return [address for _, address in getaddresses(values) if address]

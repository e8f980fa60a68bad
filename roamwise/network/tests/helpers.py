"""ICCIDs and requests for tests of the network partner simulator."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.test import Client

from roamwise.network.iccids import luhn_valid


def make_iccid(serial: int, prefix: str = "894499") -> str:
    """A Luhn-valid 19-digit ICCID."""
    body = f"{prefix}{serial:012d}"
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def auth(key: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key or settings.NETWORK_PARTNER_API_KEY}"}


def post(
    client: Client,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | str | None = None,
) -> Any:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body))
    return client.post(
        f"/network/api/v1/subscriptions/{path}",
        data,
        content_type="application/json",
        headers=auth() if headers is None else headers,
    )

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from roamwise.core.signing import signature_header


def post_inbound(client: Client, payload: dict, *, secret: str | None = None) -> object:
    body = json.dumps(payload).encode()
    header = signature_header(body, secret or settings.SUPPORT_INBOUND_SECRET)
    return client.post(
        "/support/inbound-email",
        body,
        content_type="application/json",
        headers={"X-Roamwise-Signature": header},
    )


@pytest.fixture
def staff_roles(db: None) -> None:
    from roamwise.audit.roles import ensure_roles

    ensure_roles()

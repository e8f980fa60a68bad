from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client, TestCase

from roamwise.core.signing import signature_header

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def committed(action: Callable[[], object]) -> object:
    """Run ``action`` and the after-commit hooks it leaves (email jobs queued)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


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

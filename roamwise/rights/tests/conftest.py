from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client, TestCase

from conftest import PASSWORD, make_customer
from roamwise.accounts.models import User
from roamwise.accounts.services import parental_consent_request

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def committed(action: Callable[[], object]) -> object:
    """Run ``action`` and the after-commit hooks it leaves (email jobs queued)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def reauthenticate(client: Client) -> None:
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


def zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def data_json(content: bytes) -> dict:
    return json.loads(zip_members(content)["data.json"])


@pytest.fixture
def staff_roles(db: None) -> None:
    from roamwise.audit.roles import ensure_roles

    ensure_roles()


@pytest.fixture
def child(db: None) -> User:
    """A 15-year-old whose parent was asked for consent at parent@example.org (CHD-02)."""
    kid = make_customer("kiddo")
    today = date.today()
    kid.profile.date_of_birth = date(today.year - 15, 1, 1)
    kid.profile.save()
    committed(lambda: parental_consent_request(child=kid, parent_email="Parent@Example.org"))
    return kid

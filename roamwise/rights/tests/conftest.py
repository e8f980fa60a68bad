from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.accounts.services import parental_consent_request
from roamwise.testing.helpers import committed
from roamwise.testing.people import PASSWORD, make_customer


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

from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan


@pytest.fixture
def plan(catalog: None) -> Plan:
    return Plan.objects.get(destination__code="FR", data_mb=5120)


@pytest.fixture
def buyer(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client

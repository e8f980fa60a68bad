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


@pytest.fixture(autouse=True)
def _fulfilment_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about checkout, payment and refunds: the eSIM service is
    not asked to fulfil, so a paid order stays paid. Provisioning after payment
    is proven in roamwise/esims/tests and in the browser journey."""
    from roamwise.orders import tasks

    monkeypatch.setattr(tasks, "FULFILLERS", {})
    monkeypatch.setattr(tasks, "REVOKERS", {})

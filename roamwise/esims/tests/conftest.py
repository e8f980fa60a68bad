from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.orders.tests.test_purchase import checkout, pay

from .smdp_proxy import SmdpProxy

EID = "89049032123451234512345678901235"


@pytest.fixture
def plan(catalog: None) -> Plan:
    return Plan.objects.get(destination__code="FR", data_mb=5120)


@pytest.fixture
def buyer(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def smdp(shop: str, settings: object, plan: Plan) -> Iterator[SmdpProxy]:
    """The SM-DP+ simulator on loopback, behind a recording, fault-injecting proxy;
    the network partner simulator too (the shop fixture stocks ten profiles)."""
    proxy = SmdpProxy(f"{shop}/smdp")
    settings.ES2PLUS_URL = proxy.url  # type: ignore[attr-defined]
    settings.ES2PLUS_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]
    settings.SMDP_OPERATORS = {  # type: ignore[attr-defined]
        "roamwise": f"{shop}/esims/es2plus/handleDownloadProgressInfo"
    }
    settings.NETWORK_PARTNER_URL = f"{shop}/network"  # type: ignore[attr-defined]
    yield proxy
    proxy.close()


def buy(buyer: Client, plan: Plan, jobs: object) -> Order:
    """Check out and pay with a good card; run the jobs that follow (webhooks,
    provisioning, emails). Returns the order, refreshed."""
    before = set(Order.objects.values_list("pk", flat=True))
    pay(buyer, checkout(buyer, plan), "4242 4242 4242 4242")
    jobs()  # type: ignore[operator]
    return Order.objects.exclude(pk__in=before).get()

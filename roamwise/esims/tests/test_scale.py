"""A sale: more orders paid at once than the SM-DP+ has profiles left, sixteen
provisioned at a time. Exactly as many eSIMs as profiles, every other order
refunded, no ICCID twice (PostgreSQL, real concurrency)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from roamwise.catalog.models import Plan
from roamwise.esims.models import Esim, EsimState
from roamwise.esims.services import provisioning
from roamwise.gateway.services import card_submit
from roamwise.orders.models import Order, OrderStatus
from roamwise.orders.services import order_create
from roamwise.payments.services import payment_start
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.smdp.services import inventory_add
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING

from .conftest import fulfilment_held
from .smdp_proxy import SmdpProxy

# Forty orders for twenty-four profiles: sixteen provisioners race for the
# same stock from the first call to the last, and sixteen orders find it gone.
ORDERS = 40
PROFILES = 24
THREADS = 16


@pytest.mark.long
@pytest.mark.commitment("SIM-01")
def test_more_paid_orders_than_profiles_provisioned_at_once(
    smdp: SmdpProxy, plan: Plan, jobs: object, settings: object
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite serialises writers")
    # The provisioners on one loopback server: give each call time to answer.
    settings.ES2PLUS_TIMEOUT_SECONDS = 15  # type: ignore[attr-defined]
    SmdpProfile.objects.all().delete()
    inventory_add(profile_type=plan.profile_type, count=PROFILES, operator="roamwise")
    orders = []
    for number in range(ORDERS):
        order = order_create(customer=make_customer(f"sale{number}"), plan=plan, billing=BILLING)
        session_id = payment_start(order=order).rstrip("/").rsplit("/", 1)[-1]
        card_submit(
            session_id=session_id, number="4242424242424242", exp_month=12, exp_year=2034, cvc="123"
        )
        orders.append(order)
    with fulfilment_held():
        jobs(5000)  # type: ignore[operator]  # the processor's webhooks: every order paid
    assert Order.objects.filter(status=OrderStatus.PAID).count() == ORDERS

    def provision(order_id: int) -> str:
        try:
            return provisioning.esim_provision(order_id=order_id)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(provision, [o.pk for o in orders]))
    jobs(5000)  # type: ignore[operator]  # retries, refunds and emails

    assert len(results) == ORDERS
    assert Esim.objects.filter(state=EsimState.READY).count() == PROFILES
    assert Esim.objects.filter(state=EsimState.FAILED).count() == ORDERS - PROFILES
    assert Order.objects.filter(status=OrderStatus.FULFILLED).count() == PROFILES
    assert Order.objects.filter(status=OrderStatus.REFUNDED).count() == ORDERS - PROFILES
    iccids = [e.iccid for e in Esim.objects.filter(state=EsimState.READY)]
    assert len(set(iccids)) == PROFILES
    released = SmdpProfile.objects.filter(state=ProfileState.RELEASED)
    assert sorted(released.values_list("iccid", flat=True)) == sorted(iccids)
    assert not SmdpProfile.objects.filter(state=ProfileState.AVAILABLE).exists()

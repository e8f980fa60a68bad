"""A promotion's use links a customer: it is kept with the order it
discounted, through the retention sweep and an erasure alike (the billing
law keeps the order and its invoice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.promotions.models import PromotionUse
from roamwise.retention.sweeps import retention_sweep_run
from roamwise.rights.erasure import erase_subject
from roamwise.testing.factories import PromotionFactory
from roamwise.testing.shopping import BILLING, paid_order

pytestmark = pytest.mark.django_db


def test_a_use_is_kept_with_its_order(alice: User, plan: Plan) -> None:
    PromotionFactory(code="", name="Launch")  # automatic: the paid order uses it
    order = paid_order(alice, plan)
    assert order.promotion_use_id is not None

    run = retention_sweep_run(
        rules=("promotions.PromotionUse",), now=timezone.now() + timedelta(days=100 * 365)
    )

    assert run.rules.get().action == "keep"
    assert PromotionUse.objects.filter(pk=order.promotion_use_id).exists()


def test_an_erased_customers_use_stays_with_the_order_it_discounted(
    alice: User, plan: Plan
) -> None:
    PromotionFactory(code="", name="Launch")
    order = paid_order(alice, plan, billing=BILLING)

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.complete is True
    retained = {r.model: r.rows for r in report.retained}
    assert retained["promotions.PromotionUse"] == 1
    assert Order.objects.get(pk=order.pk).promotion_use_id == order.promotion_use_id

"""Abandoned checkouts expire after CHECKOUT_EXPIRY_MINUTES and say so; a
payment that still arrives marks the order paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders import tasks
from roamwise.orders.models import Order, OrderEvent, OrderStatus
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.testing.shopping import BILLING


def aged(order: Order, minutes: int) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db
def test_unpaid_orders_older_than_the_setting_expire_and_show_it(
    buyer: Client, plan: Plan, alice: User, settings: object
) -> None:
    settings.CHECKOUT_EXPIRY_MINUTES = 60  # type: ignore[attr-defined]
    old_awaiting = order_await_payment(
        order=order_create(customer=alice, plan=plan, billing=BILLING)
    )
    old_created = order_create(customer=alice, plan=plan, billing=BILLING)
    recent = order_await_payment(order=order_create(customer=alice, plan=plan, billing=BILLING))
    paid = order_await_payment(order=order_create(customer=alice, plan=plan, billing=BILLING))
    order_mark_paid(order_id=paid.pk, actor="test")
    for order in (old_awaiting, old_created, paid):
        aged(order, 61)
    aged(recent, 59)

    assert tasks.checkouts_expire.call_local() == 2
    status = dict(Order.objects.values_list("pk", "status"))
    assert status[old_awaiting.pk] == status[old_created.pk] == OrderStatus.EXPIRED
    assert (status[recent.pk], status[paid.pk]) == (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID)
    assert OrderEvent.objects.filter(to_status=OrderStatus.EXPIRED).count() == 2

    listing = buyer.get("/orders/").content.decode()
    assert "Expired" in listing
    detail = buyer.get(f"/orders/{old_awaiting.public_id}/").content.decode()
    assert "This checkout expired" in detail and "Pay now" not in detail
    assert "awaiting_payment" not in detail and "Awaiting payment" in detail
    assert buyer.post(f"/orders/{old_awaiting.public_id}/pay/").status_code == 302
    assert Order.objects.get(pk=old_awaiting.pk).status == OrderStatus.EXPIRED


@pytest.mark.django_db
def test_a_payment_arriving_after_expiry_still_marks_the_order_paid(
    plan: Plan, alice: User
) -> None:
    order = order_await_payment(order=order_create(customer=alice, plan=plan, billing=BILLING))
    aged(order, 100_000)
    tasks.checkouts_expire.call_local()
    assert order_mark_paid(order_id=order.pk, actor="webhook:simulated") is True
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and hasattr(order, "invoice")

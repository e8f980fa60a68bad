"""Row locks in one order (roamwise.core.locks, ADR 0032): a transaction that
takes them out of order is stopped before it can deadlock another."""

from __future__ import annotations

import pytest
from django.db import transaction

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core import locks, states
from roamwise.core.locks import LockOrderError
from roamwise.orders.models import Order, OrderStatus
from roamwise.payments.models import Payment
from roamwise.testing.shopping import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(alice: User, plan: Plan) -> Order:
    return paid_order(alice, plan)


def test_rows_are_locked_in_the_documented_order(order: Order) -> None:
    with transaction.atomic():
        payments = locks.lock(Payment.objects.filter(order=order))
        locked = locks.lock_one(Order.objects.all(), order.pk)

        assert [p.order_id for p in payments] == [order.pk]
        assert locked.pk == order.pk
        assert locks.held() == ("payments.payment", "orders.order")


def test_a_kind_locked_after_a_later_one_is_refused(order: Order) -> None:
    with transaction.atomic():
        locks.lock_one(Order.objects.all(), order.pk)
        with pytest.raises(LockOrderError, match=r"payments\.payment locked after orders\.order"):
            locks.lock(Payment.objects.filter(order=order))


def test_a_kind_held_already_may_be_locked_again(order: Order) -> None:
    with transaction.atomic():
        locks.lock_one(Order.objects.all(), order.pk)
        locks.lock(order.refunds.all())

        again = locks.lock_one(Order.objects.all(), order.pk)

        assert again.pk == order.pk
        assert locks.held() == ("orders.order", "orders.refund")


def test_each_transaction_starts_with_no_locks(order: Order) -> None:
    with transaction.atomic():
        locks.lock_one(Order.objects.all(), order.pk)
    with transaction.atomic():
        assert locks.held() == ()
        locks.lock(Payment.objects.filter(order=order))  # not refused: the order was released

        assert locks.held() == ("payments.payment",)


def test_rows_of_one_kind_come_back_in_primary_key_order(alice: User, plan: Plan) -> None:
    first, second = paid_order(alice, plan), paid_order(alice, plan)

    with transaction.atomic():
        rows = locks.lock(Order.objects.filter(pk__in=[second.pk, first.pk]).order_by("-pk"))

    assert [o.pk for o in rows] == sorted([first.pk, second.pk])


def test_a_missing_row_raises_does_not_exist(order: Order) -> None:
    with transaction.atomic(), pytest.raises(Order.DoesNotExist):
        locks.lock_one(Order.objects.all(), order.pk + 1000)


def test_the_state_machine_locks_through_the_same_order(order: Order) -> None:
    with transaction.atomic():
        locks.lock(order.refunds.all())
        with pytest.raises(LockOrderError):
            states.move(order, OrderStatus.FULFILLED, actor="system")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

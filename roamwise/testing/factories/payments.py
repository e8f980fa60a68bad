"""Payments at a processor."""

from __future__ import annotations

import factory

from roamwise.orders.models import Order
from roamwise.orders.services import order_await_payment
from roamwise.payments.models import Payment

from .orders import OrderFactory


def _new_order() -> Order:
    order: Order = OrderFactory.create()
    return order


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment of the whole order at the simulated processor, by visa ending
    4242; ``status`` is ``succeeded`` unless given. The order is left as it is
    (``PaidOrderFactory`` makes a paid order with its payment)."""

    class Meta:
        model = Payment

    order = factory.LazyFunction(lambda: order_await_payment(order=_new_order()))
    processor = "simulated"
    processor_ref = factory.Sequence(lambda n: f"cs_test_factory_{n}")
    payment_ref = factory.Sequence(lambda n: f"pi_test_factory_{n}")
    status = Payment.Status.SUCCEEDED
    amount = factory.LazyAttribute(lambda p: p.order.total)
    currency = factory.LazyAttribute(lambda p: p.order.currency)
    card_brand = "visa"
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = 2034

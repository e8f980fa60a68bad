"""Orders, made by the order service."""

from __future__ import annotations

from typing import Any

import factory

from roamwise.orders.models import Order
from roamwise.orders.services import order_create
from roamwise.testing.shopping import BILLING, paid_order

from .accounts import CustomerFactory
from .catalog import PlanFactory


class OrderFactory(factory.django.DjangoModelFactory):
    """An order just created at checkout (status ``created``), billed to
    ``BILLING``; ``order_await_payment`` or ``PaidOrderFactory`` take it further."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(PlanFactory)
    billing = BILLING

    @classmethod
    def _create(cls, model_class: type[Order], *args: Any, **kwargs: Any) -> Order:
        return order_create(**kwargs)


class PaidOrderFactory(OrderFactory):
    """An order paid by card as its webhook leaves it: payment, invoice,
    fulfilment requested (``roamwise.testing.shopping.paid_order``)."""

    processor = "simulated"

    @classmethod
    def _create(cls, model_class: type[Order], *args: Any, **kwargs: Any) -> Order:
        return paid_order(
            kwargs["customer"],
            kwargs["plan"],
            billing=kwargs["billing"],
            processor=kwargs["processor"],
        )

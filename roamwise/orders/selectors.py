from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core.errors import NotFound

from .models import Order


def orders_of(*, customer: User) -> QuerySet[Order]:
    return Order.objects.filter(customer=customer).select_related("plan__destination", "invoice")


def order_of(*, customer: User, public_id: uuid.UUID | str) -> Order:
    """A customer's own order; anyone else's is simply not found."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound(gettext("No such order.")) from exc
    order = orders_of(customer=customer).filter(public_id=key).first()
    if order is None:
        raise NotFound(gettext("No such order."))
    return order

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core.errors import NotFound

from .models import Order

if TYPE_CHECKING:
    from roamwise.esims.models import Esim


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


def has_paid_order(*, customer: User) -> bool:
    """Whether the customer has ever paid for an order (a first purchase is not)."""
    return Order.objects.filter(customer=customer, paid_at__isnull=False).exists()


def last_billing(*, customer: User) -> dict[str, str] | None:
    """The billing details of the customer's latest order, as the checkout
    form's fields; None before the first order."""
    order = Order.objects.filter(customer=customer).order_by("-created_at", "-pk").first()
    if order is None or not order.billing_country:
        return None
    address = order.billing_address or {}
    return {
        "name": order.billing_name or "",
        "line1": address.get("line1", ""),
        "line2": address.get("line2", ""),
        "city": address.get("city", ""),
        "postcode": address.get("postcode", ""),
        "country": order.billing_country,
        "phone": order.contact_phone or "",
    }


def esim_of_order(*, order: Order) -> Esim | None:
    """The eSIM an order delivers: its own for a new eSIM, the one it tops up
    for a top-up; None while a new eSIM is not yet made."""
    if order.kind == Order.Kind.TOPUP:
        bundle = getattr(order, "bundle", None)
        return bundle.esim if bundle is not None else None
    return getattr(order, "esim", None)

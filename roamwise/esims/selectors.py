from __future__ import annotations

import uuid

from django.db.models import QuerySet

from roamwise.accounts.models import User
from roamwise.core.errors import NotFound

from .models import Esim


def esims_of(*, customer: User) -> QuerySet[Esim]:
    return Esim.objects.filter(customer=customer).select_related("order__plan__destination")


def esim_of(*, customer: User, public_id: uuid.UUID | str) -> Esim:
    """A customer's own eSIM; anyone else's is simply not found."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound("No such eSIM.") from exc
    esim = esims_of(customer=customer).filter(public_id=key).first()
    if esim is None:
        raise NotFound("No such eSIM.")
    return esim

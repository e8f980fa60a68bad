from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core.errors import NotFound
from roamwise.orders.models import OrderStatus, Refund

from .models import Bundle, Esim, EsimState


def esims_of(*, customer: User) -> QuerySet[Esim]:
    return Esim.objects.filter(customer=customer).select_related("order__plan__destination")


def esims_in_full_of(*, customer: User) -> QuerySet[Esim]:
    """With every bundle (and its plan) and the history: a fixed number of
    queries however many eSIMs, bundles and events there are."""
    return esims_of(customer=customer).prefetch_related(
        Prefetch("bundles", queryset=Bundle.objects.select_related("plan")), "events"
    )


def esim_of(*, customer: User, public_id: uuid.UUID | str, in_full: bool = False) -> Esim:
    """A customer's own eSIM; anyone else's is simply not found."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFound(gettext("No such eSIM.")) from exc
    found = esims_in_full_of if in_full else esims_of
    esim = found(customer=customer).filter(public_id=key).first()
    if esim is None:
        raise NotFound(gettext("No such eSIM."))
    return esim


def esims_failed_without_refund() -> QuerySet[Esim, int]:
    """eSIMs that could not be provisioned, whose order failed a while ago and
    has no refund at all: the job that refunds it was lost (ADR 0017)."""
    cutoff = timezone.now() - timedelta(seconds=settings.RECOVERY_AFTER_SECONDS)
    return (
        Esim.objects.filter(
            state=EsimState.FAILED, order__status=OrderStatus.FAILED, updated_at__lt=cutoff
        )
        .exclude(Exists(Refund.objects.filter(order=OuterRef("order"))))
        .values_list("pk", flat=True)
    )

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.core.errors import NotFound
from roamwise.orders.models import OrderStatus, Refund

from . import hooks
from .models import Bundle, Esim, EsimState

if TYPE_CHECKING:
    from roamwise.usage.selectors import Balance


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


@dataclass(frozen=True)
class LiveEsim:
    """A live eSIM as the erasure and closing pages show it: what is left on
    it, and whether the refund policy refunds it."""

    esim: Esim
    balance: Balance
    has_active_bundle: bool
    refundable: bool


def esims_live_of(*, customer: User, now: datetime | None = None) -> list[LiveEsim]:
    """The customer's eSIMs that erasing their data would end (every one not
    already deleted or failed: ``esims_end_for_erasure``), each with its
    remaining data and validity, and whether the refund policy still refunds
    it in full: never installed, and bought at most REFUND_UNUSED_DAYS ago."""
    now = now or timezone.now()
    refund_since = now - timedelta(days=settings.REFUND_UNUSED_DAYS)
    live = (
        esims_in_full_of(customer=customer)
        .exclude(state__in=(EsimState.DELETED, EsimState.FAILED))
        .prefetch_related("order__refunds")
    )
    found = []
    for esim in live:
        order = esim.order
        refundable = (
            esim.installed_at is None
            and esim.state in (EsimState.PREPARING, EsimState.READY)
            and order.can_ask_refund
            and order.paid_at is not None
            and order.paid_at >= refund_since
        )
        found.append(
            LiveEsim(
                esim=esim,
                balance=hooks.esim_balance(esim=esim),
                has_active_bundle=any(b.state == Bundle.State.ACTIVE for b in esim.bundles.all()),
                refundable=refundable,
            )
        )
    return found

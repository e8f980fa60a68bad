from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.catalog.models import Destination, Plan
from roamwise.core.errors import NotFound
from roamwise.devices.validators import iccid_normalise
from roamwise.orders.models import OrderStatus, Refund
from roamwise.vault.fields import blind_index_lookup

from . import hooks
from .models import ENDED_STATES, Bundle, Esim, EsimState

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


def esim_by_iccid(iccid: str) -> Esim | None:
    """The eSIM holding this profile: the live one, where an ICCID given back
    to the SM-DP+ went to a newer eSIM; otherwise the latest that had it."""
    try:
        digits = iccid_normalise(iccid)  # §5.2.1: the same profile with or without its pad
    except ValueError:
        return None
    having = Esim.objects.filter(**blind_index_lookup(Esim, "iccid_index", digits))
    return having.exclude(state__in=ENDED_STATES).first() or having.order_by("-pk").first()


def topup_plans(*, esim: Esim) -> list[Plan]:
    """Plans that can be added to this eSIM: the same profile, for its destination,
    the regions that include it, and global plans."""
    destination = esim.order.plan.destination
    places = Q(destination=destination) | Q(destination__kind=Destination.Kind.GLOBAL)
    if destination.kind == Destination.Kind.COUNTRY:
        places |= Q(destination__countries=destination)
    return list(
        Plan.objects.filter(places, _topup_fits(esim), is_active=True)
        .select_related("destination")
        .distinct()
        .order_by("destination__kind", "price")
    )


def _topup_fits(esim: Esim) -> Q:
    """The plans that can top up this eSIM: of its profile type over ES2+; of a
    top-up package of its supplier for a wholesaler's eSIM (ADR 0024)."""
    allocation = hooks.supplied_allocation(order_id=esim.order_id)
    if allocation is not None:
        return hooks.topup_plans_filter(allocation=allocation)
    return Q(profile_type=esim.profile_type)


def paid_to_qr_seconds(*, since: datetime, orders: QuerySet | None = None) -> list[float]:
    """Seconds from payment to a ready QR code, for the eSIMs ready since
    ``since`` (of ``orders`` only, when given)."""
    esims = Esim.objects.filter(ready_at__gte=since, order__paid_at__isnull=False)
    if orders is not None:
        esims = esims.filter(order__in=orders)
    return [
        (ready - paid).total_seconds()
        for ready, paid in esims.values_list("ready_at", "order__paid_at")
        if ready and paid
    ]

"""Top-ups (SIM-02): a customer buys more data for an eSIM; the bundle goes to
the network partner, or to the wholesaler that supplied the eSIM (ADR 0024)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core import locks
from roamwise.core.errors import NotFound
from roamwise.core.tasks import enqueue_on_commit
from roamwise.orders import services as orders
from roamwise.orders.models import Order

from .. import hooks
from ..errors import EsimError, LineChangePending
from ..models import (
    Bundle,
    Esim,
    EsimState,
    PartnerCall,
)
from ..partner import PartnerError
from ..selectors import _topup_fits
from ..tasks import bundle_register as bundle_register_task
from .lifecycle import _bundle_added, _line_change, _supplied

log = logging.getLogger(__name__)


def topup_create(
    *,
    customer: User,
    esim: Esim,
    plan: Plan,
    billing: orders.BillingDetails,
    currency: str = "",
    shown_total: Decimal | None = None,
    consent: orders.CheckoutConsent | None = None,
    promotion_code: str = "",
    client_ip: str = "",
) -> Order:
    """A top-up order for an existing eSIM: no new profile, the same checkout,
    promotions included (the code's, or the best automatic one, ADR 0031)."""
    if esim.customer_id != customer.pk:
        raise NotFound(gettext("No such eSIM."))
    if not esim.is_live or esim.state == EsimState.EXPIRED:
        raise EsimError(gettext("This eSIM can no longer be topped up."))
    if not Plan.objects.filter(_topup_fits(esim), pk=plan.pk).exists():
        raise EsimError(gettext("This plan does not work on this eSIM."))
    with transaction.atomic():
        order = orders.order_create(
            customer=customer,
            plan=plan,
            billing=billing,
            kind=Order.Kind.TOPUP,
            consent=consent,
            currency=currency,
            shown_total=shown_total,
            promotion_code=promotion_code,
            client_ip=client_ip,
        )
        Bundle.objects.create(
            esim=esim,
            order=order,
            plan=plan,
            data_mb=plan.data_mb,
            validity_days=plan.validity_days,
        )
    return order


def topup_fulfil(order_id: int) -> str:
    """A paid top-up: the bundle goes to the network (no ES2+ call at all), or
    to the wholesaler that supplied the eSIM (ADR 0024)."""
    bundle_esim = Bundle.objects.filter(order_id=order_id).select_related("esim").first()
    if bundle_esim is not None and _supplied(bundle_esim.esim):
        return hooks.topup_at_supplier(order_id)
    with transaction.atomic():
        found = locks.lock(Bundle.objects.filter(order_id=order_id))
        bundle = found[0] if found else None
        if bundle is None:
            raise EsimError(gettext("A top-up order without its bundle."))
        if bundle.state == Bundle.State.AWAITING_PAYMENT:
            Bundle.objects.filter(pk=bundle.pk).update(state=Bundle.State.PENDING)
        bundle_id = bundle.pk
        enqueue_on_commit(bundle_register_task, bundle_id)
    return "bundle queued for the network"


def bundle_register_now(*, bundle_id: int) -> str:
    """Tell the network about a paid bundle, as a partner call with its own
    idempotency key (and the bundle's id as the network's reference). Raises
    ``PartnerError``: retryable while the network's answer is not known."""
    bundle = Bundle.objects.select_related("esim", "order").get(pk=bundle_id)
    if bundle.state != Bundle.State.PENDING:
        return bundle.state
    esim = bundle.esim
    if not esim.iccid:
        return "waiting for the profile"
    Bundle.objects.filter(pk=bundle.pk).update(network_attempts=F("network_attempts") + 1)

    def target(locked: Esim) -> str | None:
        # "": a bundle moves no eSIM state; None: it was added (or cancelled) already.
        still_pending = Bundle.objects.filter(pk=bundle.pk, state=Bundle.State.PENDING).exists()
        return "" if still_pending else None

    try:
        _line_change(
            esim=esim,
            action=PartnerCall.Action.BUNDLE_ADD,
            actor="system",
            note=f"bundle {bundle.public_id}",
            target=target,
            bundle=bundle,
        )
    except EsimError as exc:
        Bundle.objects.filter(pk=bundle.pk).update(last_error=exc.message[:200])
        retryable = isinstance(exc, LineChangePending) or exc.code in (
            "network_change_pending",
            "network_change_busy",
        )
        raise PartnerError(exc.message, retryable=retryable) from exc
    bundle.refresh_from_db()
    return bundle.state


def topup_supplied(*, bundle_id: int) -> bool:
    """A wholesaler added a paid top-up to its eSIM: the bundle is active and
    the order fulfilled, as when the network adds one. False if done already."""
    order_id = Bundle.objects.values_list("order_id", flat=True).get(pk=bundle_id)
    with transaction.atomic():
        # The top-up's order is fulfilled with the bundle: locked first (core.locks).
        locks.lock_one(Order.objects.all(), order_id)
        bundle = locks.lock_one(Bundle.objects.select_related("order"), bundle_id)
        if bundle.state == Bundle.State.AWAITING_PAYMENT:
            Bundle.objects.filter(pk=bundle.pk).update(state=Bundle.State.PENDING)
            bundle.state = Bundle.State.PENDING
        if bundle.state != Bundle.State.PENDING:
            return False
        _bundle_added(bundle)
    return True

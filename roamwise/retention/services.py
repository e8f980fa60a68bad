"""Legal holds: place and release (RET-07).

A hold is the one mechanism that suspends deletion, whoever asks for it:
staff in the back office (a legal request, litigation) or a payment dispute
(``payments.services``). The retention sweep and erasure read holds, and
nothing else, to know what they must leave alone. The sweep itself is in
``sweeps``.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.datamap.registry import data_map
from roamwise.orders.models import Order

from .errors import HoldInvalid
from .models import LegalHold

DISPUTED_ORDER = "orders.order"


def legal_hold_check(*, kind: str, reason: str, model: str = "", object_id: str = "") -> None:
    """Raise ``HoldInvalid`` with a message for staff if a hold cannot be placed."""
    if kind not in LegalHold.Kind.values:
        raise HoldInvalid(gettext("Unknown kind of hold %(kind)r.") % {"kind": kind})
    if not reason.strip():
        raise HoldInvalid(gettext("Say why the records are held."))
    if object_id and not model:
        raise HoldInvalid(gettext("A hold on one row names its model too."))
    if not model:
        return
    declaration = data_map.declarations.get(model.lower())
    if declaration is None:
        raise HoldInvalid(gettext("%(model)s is not a model of the data map.") % {"model": model})
    if object_id:
        try:
            found = declaration.model_class._default_manager.filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise HoldInvalid(
                gettext("There is no %(model)s with id %(object_id)s.")
                % {"model": declaration.model, "object_id": object_id}
            )


def legal_hold_place(
    *,
    subject_id: uuid.UUID,
    kind: str,
    reason: str,
    model: str = "",
    object_id: str = "",
    reference: str = "",
    placed_by: User | None = None,
) -> LegalHold:
    """Suspend deletion of a subject's records: all of them (no ``model``),
    one model's, or one row (``model`` and ``object_id``)."""
    object_id = str(object_id).strip()
    legal_hold_check(kind=kind, reason=reason, model=model, object_id=object_id)
    return LegalHold.objects.create(
        subject_id=subject_id,
        kind=kind,
        reason=reason.strip(),
        model=model.lower(),
        object_id=object_id,
        reference=reference,
        placed_by=placed_by,
    )


def legal_hold_release(*, hold: LegalHold, released_by: User | None = None) -> LegalHold:
    """Lift a hold; the next sweep applies the rules to what it kept.
    Releasing a released hold changes nothing."""
    with transaction.atomic():
        released = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now(), released_by=released_by
        )
        if released and hold.model == DISPUTED_ORDER and hold.object_id:
            _order_flag_sync(hold.object_id)
    hold.refresh_from_db()
    return hold


def _order_flag_sync(order_id: str) -> None:
    """``Order.legal_hold`` mirrors the holds on the order, for the orders
    list in the back office; retention reads the holds only."""
    still_held = LegalHold.objects.filter(
        model=DISPUTED_ORDER, object_id=order_id, released_at__isnull=True
    ).exists()
    if not still_held:
        Order.objects.filter(pk=order_id).update(legal_hold=False)

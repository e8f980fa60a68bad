"""Row locks, taken in one order (STYLE 17, ADR 0032).

Two transactions that lock the same two rows in opposite orders can each hold
one and wait for the other: PostgreSQL then kills one of them ("deadlock
detected") and a payment webhook or a refund fails at random. Every
transaction that locks rows of more than one of the kinds below takes them in
this order, and rows of one kind in primary-key order:

1. ``payments.Payment``: a processor's webhook names only its payment, and the
   payment row is where two deliveries of that processor's events meet;
2. ``orders.Order``: the purchase the payment is for; its state, totals and
   refunded amount;
3. ``orders.Refund``: the refunds of that order;
4. ``esims.Esim``: what the order delivered;
5. ``esims.Bundle``: the data bundles on that eSIM;
6. ``orders.InvoiceSequence``: the year's invoice counter, held as briefly as
   possible, so last.

A row is locked through ``lock``/``lock_one`` here, or by
``roamwise.core.states.move`` (which calls ``lock_one``). Each remembers
what the transaction has locked, and locking a kind that comes earlier than
one already held raises ``LockOrderError``: the mistake shows in the tests,
not as a deadlock in production. Locking again a kind the transaction holds
already is allowed (``states.move`` re-locks the order its caller locked).
Kinds not in the list are free to be locked in any order, alone.

The models are named by label: core sits below the apps that own them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router

R = TypeVar("R")

LOCK_ORDER: tuple[str, ...] = (
    "payments.payment",
    "orders.order",
    "orders.refund",
    "esims.esim",
    "esims.bundle",
    "orders.invoicesequence",
)


class LockOrderError(RuntimeError):
    """A row was locked out of the documented order: a deadlock waiting to happen."""


def lock(queryset: models.QuerySet[Any, R]) -> list[R]:
    """Lock the rows of ``queryset`` (``select_for_update``) in primary-key order
    and return them (rows, or what ``values_list`` asks for). Call inside
    ``transaction.atomic()``."""
    _check_order(queryset.model, router.db_for_write(queryset.model))
    return list(queryset.select_for_update().order_by("pk"))


def lock_one(queryset: models.QuerySet[Any, R], pk: object) -> R:
    """Lock the row ``pk`` of ``queryset`` and return it; raises the model's
    ``DoesNotExist`` if there is no such row."""
    rows = lock(queryset.filter(pk=pk))
    if not rows:
        raise queryset.model.DoesNotExist(f"no {queryset.model._meta.label} {pk}")
    return rows[0]


def held(using: str = "default") -> Sequence[str]:
    """The kinds of rows this transaction has locked so far, in the order taken."""
    record = getattr(connections[using], "_roamwise_locks", None)
    if record is None or record[0] is not _transaction(using):
        return ()
    return tuple(record[1])


def _transaction(using: str) -> object | None:
    """The outermost ``atomic`` block of the code: a test's own wrapping block
    (Django's TestCase marks it) is not the transaction the code opened."""
    blocks = [
        b for b in connections[using].atomic_blocks if not getattr(b, "_from_testcase", False)
    ]
    return blocks[0] if blocks else None


def _check_order(model: type[models.Model], using: str) -> None:
    label = model._meta.label_lower
    if label not in LOCK_ORDER:
        return
    outermost = _transaction(using)
    if outermost is None:
        return  # no transaction of the code's own (select_for_update refuses, or a test)
    connection = connections[using]
    record: tuple[object, list[str]] | None = getattr(connection, "_roamwise_locks", None)
    if record is None or record[0] is not outermost:
        # A new transaction: forget what the last one locked.
        record = (outermost, [])
        connection._roamwise_locks = record  # type: ignore[attr-defined]
    if label in record[1]:
        return
    rank = LOCK_ORDER.index(label)
    later = [kind for kind in record[1] if LOCK_ORDER.index(kind) > rank]
    if later:
        raise LockOrderError(
            f"{label} locked after {', '.join(later)}: take locks in the order of "
            "roamwise.core.locks.LOCK_ORDER"
        )
    record[1].append(label)

"""Reads of the public catalogue from a streaming replica (ADR 0038).

With ``DATABASE_REPLICA_URL`` the database alias "replica" exists and
``ReplicaRouter`` may send a read there. It does so only when all of these
hold, and answers None (the primary, as without a replica) otherwise:

- the model is one of ``REPLICA_MODELS``: shared, read-mostly tables that no
  customer writes and that hold no personal data (a test holds them to the
  data map), so a read a little behind the primary can surprise nobody;
- the code runs inside ``replica_reads()``, which ``ReplicaMiddleware`` opens
  only for a safe request (GET, HEAD, OPTIONS) of a visitor who is not signed
  in. Jobs, commands, forms posted, signed-in customers and staff read the
  primary, so they always read their own writes;
- nothing has been written since ``replica_reads()`` was opened: the first
  write pins the rest of the request to the primary;
- no transaction is open on the primary: a transaction and
  ``select_for_update`` (a write query to Django) read what they will write;
- it is not inside ``primary_reads()``: the catalogue's cached fragments are
  built from the primary, or a copy a moment behind would be kept for as long
  as the catalogue's version lasts.

Writes always go to the primary: a row read from the replica is saved to the
primary, and rows from either database may be related to each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

# The storefront's shared tables: destinations, networks, plans and their
# prices, the currency rates. ("app_label.model_name", lower case.)
REPLICA_MODELS: frozenset[str] = frozenset(
    {
        "catalog.destination",
        "catalog.network",
        "catalog.plan",
        "catalog.planprice",
        "catalog.currencyrate",
    }
)

# Writes that do not pin a request to the primary: the database cache's
# entries (the embedded default's cache) are no data a later read could miss.
UNPINNING: frozenset[str] = frozenset({"django_cache.cacheentry"})


@dataclass
class _Reads:
    pinned: bool = False  # something was written: the primary from now on


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, reads of ``REPLICA_MODELS`` may go to the replica
    (until something is written)."""
    token = _reads.set(_Reads())
    try:
        yield
    finally:
        _reads.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within this block every read goes to the primary: for what is built
    once and kept (a cached fragment outlives the replica's lag)."""
    token = _reads.set(_Reads(pinned=True))
    try:
        yield
    finally:
        _reads.reset(token)


def pin_to_primary() -> None:
    """Read the primary for the rest of the current ``replica_reads()`` block."""
    state = _reads.get()
    if state is not None:
        state.pinned = True


def reads_replica_now() -> bool:
    state = _reads.get()
    return (
        state is not None
        and not state.pinned
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    )


def _label(model: Any) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


class ReplicaRouter:
    """After the residency router, which decides the EU's pinned rows, and
    before the vault router, whose answer for migrations would let the
    replica take them. It names the replica for no model of the key store."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _label(model) in REPLICA_MODELS and reads_replica_now():
            return REPLICA_ALIAS
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        if _label(model) not in UNPINNING:
            pin_to_primary()
        if not replica_configured():
            return None
        # Django would save a row to the database it was read from.
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None) == REPLICA_ALIAS:
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: its rows are the primary's.
        same = {DEFAULT_DB_ALIAS, REPLICA_ALIAS}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        # A streaming replica replays the primary's migrations; it takes none.
        return False if db == REPLICA_ALIAS else None

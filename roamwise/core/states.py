"""State machines, one way (STYLE 5, ADR 0032).

A model with a state column declares its machine on the class::

    class Ticket(TimeStampedModel):
        STATE_FIELD = "status"
        TRANSITIONS = ALLOWED_TRANSITIONS  # each state -> the states it may become

and keeps its history in a ``TransitionEvent`` (roamwise.core.models) whose
foreign key to the row has ``related_name="events"``. Every change of state
goes through ``move`` or ``try_move``; nothing else writes the column after
the row is created.

A move, in one transaction:

1. the move asked for must be allowed from every state the caller accepts
   (``allowed_from``, by default the state the caller read): a move the
   machine does not have raises ``TransitionNotAllowed`` at once;
2. the row is locked (``roamwise.core.locks``, which keeps the order of
   locks) and its state read again; if it
   is no longer one the caller accepts, another request moved it first;
3. the state and the other columns given are written with a compare-and-set
   ``update`` (never ``save``: a sealed field must not be written again, and
   on SQLite, where the lock is a no-op, the ``WHERE`` is what keeps a second
   mover out); the event row is written with it.

The two entry points differ only in what a lost race means:

* ``move`` raises ``StateChanged``: a person acted on a page that is out of
  date and must reload it;
* ``try_move`` returns False: a webhook, a job or a retry that finds the work
  done already is not an error (the payment marked the order paid before the
  duplicate webhook came).

A row locked by the caller first (``roamwise.core.locks``) is locked again
here at no cost: the lock is held until the transaction ends. A caller that
locks other rows too takes them in the order ``locks.LOCK_ORDER`` gives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol, cast

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from . import locks
from .errors import StateChanged, TransitionNotAllowed


class Machine(Protocol):
    """What a model with a state declares (see the module's docstring)."""

    STATE_FIELD: ClassVar[str]
    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]]


def state_of(obj: models.Model) -> str:
    return str(getattr(obj, _machine(type(obj)).STATE_FIELD))


def can_move(obj: models.Model, to: str, *, from_state: str | None = None) -> bool:
    """Whether the machine has the move ``from_state`` (the row's state) -> ``to``."""
    machine = _machine(type(obj))
    current = state_of(obj) if from_state is None else from_state
    return to in machine.TRANSITIONS.get(current, ())


def move(
    obj: models.Model,
    to: str,
    *,
    actor: Any,
    note: str = "",
    allowed_from: Collection[str] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> str:
    """Move ``obj`` to ``to`` and write its event; returns the state it left.

    Raises ``TransitionNotAllowed`` if the machine has no such move, and
    ``StateChanged`` if the row had left the accepted states meanwhile.
    ``obj`` is updated in memory with what was written."""
    moved_from = _move(
        obj, to, actor=actor, note=note, allowed_from=allowed_from, now=now, **changes
    )
    if moved_from is None:
        raise StateChanged(gettext("This changed meanwhile; reload the page and try again."))
    return moved_from


def try_move(
    obj: models.Model,
    to: str,
    *,
    actor: Any,
    note: str = "",
    allowed_from: Collection[str] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> bool:
    """``move`` for the paths that may come twice (webhooks, jobs, retries):
    False, and nothing written, if the row had left the accepted states.
    A move the machine does not have still raises ``TransitionNotAllowed``."""
    moved_from = _move(
        obj, to, actor=actor, note=note, allowed_from=allowed_from, now=now, **changes
    )
    return moved_from is not None


def _machine(model: type[models.Model]) -> Machine:
    if not hasattr(model, "STATE_FIELD") or not hasattr(model, "TRANSITIONS"):
        raise TypeError(f"{model.__name__} declares no STATE_FIELD and TRANSITIONS")
    return cast(Machine, model)


def _label(model: type[models.Model], field: str, state: str) -> str:
    return str(dict(model._meta.get_field(field).flatchoices).get(state, state))  # type: ignore[union-attr]


def _move(
    obj: models.Model,
    to: str,
    *,
    actor: Any,
    note: str,
    allowed_from: Collection[str] | None,
    now: datetime | None,
    **changes: Any,
) -> str | None:
    model = type(obj)
    machine = _machine(model)
    field = machine.STATE_FIELD
    accepted = frozenset(allowed_from) if allowed_from is not None else frozenset({state_of(obj)})
    for state in sorted(accepted):
        if to not in machine.TRANSITIONS.get(state, ()):
            raise TransitionNotAllowed(
                gettext("This is “%(from_state)s” and cannot become “%(to_state)s”.")
                % {
                    "from_state": _label(model, field, state),
                    "to_state": _label(model, field, to),
                }
            )
    now = now or timezone.now()
    values: dict[str, Any] = {field: to, **changes}
    if "updated_at" not in values and any(f.name == "updated_at" for f in model._meta.fields):
        values["updated_at"] = now
    rows = model._default_manager.filter(pk=obj.pk)
    with transaction.atomic():
        found = locks.lock(rows.values_list(field, flat=True))
        current = found[0] if found else None
        if current not in accepted:
            return None
        if rows.filter(**{field: current}).update(**values) != 1:
            return None
        _record(obj, from_state=current, to_state=to, actor=actor, note=note, now=now)
    computed = [name for name, value in values.items() if hasattr(value, "resolve_expression")]
    for name, value in values.items():
        if name not in computed:
            setattr(obj, name, value)
    if computed:
        obj.refresh_from_db(fields=computed)
    return current


def _record(
    obj: models.Model, *, from_state: str, to_state: str, actor: Any, note: str, now: datetime
) -> None:
    relation = cast(Any, obj._meta.get_field("events"))
    event_model = relation.related_model
    limit = event_model._meta.get_field("note").max_length
    event_model._default_manager.create(
        **{relation.field.attname: obj.pk},
        from_status=from_state,
        to_status=to_state,
        actor=actor,
        note=note[:limit],
        created_at=now,
    )

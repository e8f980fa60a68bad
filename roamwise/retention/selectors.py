"""Reads of the retention app: active legal holds, and the rows they cover."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet

from roamwise.accounts.models import User
from roamwise.datamap.registry import Declaration, Registry, data_map

from .models import LegalHold

# How far the engine follows foreign keys between a held row and the rows that
# belong to it (an attachment -> its message -> its ticket).
RELATION_DEPTH = 3


def active_holds(*, subject_id: uuid.UUID) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(subject_id=subject_id, released_at__isnull=True)


def all_active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True).order_by("pk")


def held_object_ids(*, subject_id: uuid.UUID, model: str) -> set[str] | None:
    """The rows of ``model`` a hold keeps: None when every row of it is held."""
    ids: set[str] = set()
    for hold in active_holds(subject_id=subject_id):
        if not hold.model or (hold.model == model.lower() and not hold.object_id):
            return None
        if hold.model == model.lower():
            ids.add(hold.object_id)
    return ids


def _forward_paths(
    source: type[models.Model], target: type[models.Model], depth: int = RELATION_DEPTH
) -> list[str]:
    """Lookup paths along foreign keys from ``source`` rows to ``target`` rows."""
    found: list[str] = []
    frontier: list[tuple[type[models.Model], str]] = [(source, "")]
    for _ in range(depth):
        following: list[tuple[type[models.Model], str]] = []
        for model, prefix in frontier:
            for field in model._meta.concrete_fields:
                if not (field.many_to_one or field.one_to_one) or field.related_model is None:
                    continue
                related = field.related_model
                if isinstance(related, str):  # pragma: no cover - unresolved lazy reference
                    continue
                path = f"{prefix}{field.name}"
                if related is target:
                    found.append(path)
                following.append((related, f"{path}__"))
        frontier = following
    return found


def _subject_rows(declaration: Declaration, subject_id: uuid.UUID) -> QuerySet | None:
    """The rows of one subject in one declared model, even after the account
    is gone for models that name their subject by public id (audit, holds)."""
    user = User.objects.filter(public_id=subject_id).first()
    if user is not None:
        return declaration.rows_of(user)
    if not callable(declaration.subject):
        return None  # a foreign key to an account that no longer exists
    try:
        return declaration.subject(User(public_id=subject_id))
    except ValueError:
        # The function filters on the (unsaved) account itself: nothing of
        # a deleted account can be found through it.
        return None


@dataclass(frozen=True)
class HoldCoverage:
    """The active legal holds at the start of a run, and which rows of a
    declared model each keeps (RET-07).

    A hold keeps the rows it names, the rows that belong to them (a held
    order keeps its payments, refunds and invoice) and the rows they belong
    to (a held message keeps its ticket, which deleting would cascade to it).
    """

    holds: tuple[LegalHold, ...]
    registry: Registry

    @classmethod
    def now(cls, registry: Registry = data_map) -> HoldCoverage:
        return cls(tuple(all_active_holds()), registry)

    def subject_ids(self) -> set[uuid.UUID]:
        return {hold.subject_id for hold in self.holds}

    def _named_rows(self, hold: LegalHold) -> tuple[type[models.Model], QuerySet] | None:
        try:
            target = apps.get_model(hold.model)
        except (LookupError, ValueError):
            return None
        if hold.object_id:
            return target, target._default_manager.filter(pk=hold.object_id)
        target_declaration = self.registry.declarations.get(hold.model)
        if target_declaration is None:
            return None
        rows = _subject_rows(target_declaration, hold.subject_id)
        return (target, rows) if rows is not None else None

    def q_for(self, declaration: Declaration) -> Q | None:
        """Rows of ``declaration``'s model kept by a hold; None: none are."""
        model = declaration.model_class
        parts: list[Q] = []
        for hold in self.holds:
            if not hold.model:
                rows = _subject_rows(declaration, hold.subject_id)
                if rows is not None:
                    parts.append(Q(pk__in=rows.values("pk")))
                continue
            named = self._named_rows(hold)
            if named is None:
                continue
            target, target_rows = named
            target_pks = target_rows.values("pk")
            if target is model:
                parts.append(Q(pk__in=target_pks))
            for path in _forward_paths(model, target):
                parts.append(Q(**{f"{path}__in": target_pks}))
            for path in _forward_paths(target, model):
                parts.append(
                    Q(pk__in=target._default_manager.filter(pk__in=target_pks).values(path))
                )
        return _any(parts)


def _any(parts: Iterable[Q]) -> Q | None:
    combined: Q | None = None
    for part in parts:
        combined = part if combined is None else combined | part
    return combined

"""What erasure and retention may write over a declared field, and the
declarations whose rules could not be carried out.

``rights.erasure`` blanks fields with ``blank_for``; the system check in
``checks.py`` runs ``rule_problems`` at start-up, so that a rule which cannot
be applied stops ``manage.py check`` instead of the first erasure (ADR 0010).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .registry import Declaration, Registry, data_map

# --- Blanking a field: what "anonymise" and "strip" write -------------------

Blank = Callable[[], Any]


def _null() -> None:
    return None


def _empty() -> str:
    return ""


def _false() -> bool:
    return False


# The blanks written alike to every row (a fresh id or a unique placeholder is not).
SAME_FOR_EVERY_ROW: tuple[Blank, ...] = (_null, _empty, _false)


def blank_for(f: models.Field) -> Blank | None:
    """How to blank a field, or None when it cannot be (it must be kept)."""
    if f.primary_key:
        return None
    if f.null:
        return _null
    if isinstance(f, models.UUIDField):
        return uuid.uuid4  # a fresh random id, unique where it must be
    if isinstance(f, models.BooleanField):
        return _false
    if f.is_relation or f.choices:
        return None
    if isinstance(f, models.CharField | models.TextField):  # encrypted fields included
        if f.unique:
            length = f.max_length or 64
            return lambda: f"erased-{uuid.uuid4().hex}"[:length]
        return _empty
    return None


def fields_to_blank(declaration: Declaration, *, emptying: bool) -> list[str]:
    """The declared fields the rule blanks: all but ``keep`` when a row is
    anonymised or emptied, the ``strip`` ones when it is retained."""
    erasure = declaration.erasure
    if erasure.action == "retain" and not emptying:
        return list(erasure.strip)
    return [f.name for f in declaration.fields if f.name not in erasure.keep]


def may_be_kept_by_others(model: type[models.Model], registry: Registry) -> bool:
    """Whether a row of ``model`` may be refused deletion: a model that is not
    deleted on erasure refers to it with PROTECT or RESTRICT."""
    for relation in model._meta.related_objects:
        on_delete = getattr(relation, "on_delete", None)
        if on_delete not in (models.PROTECT, models.RESTRICT):
            continue
        declaration = registry.for_model(relation.related_model)
        if declaration is None or declaration.erasure.action != "delete":
            return True
    return False


def rule_problems(registry: Registry = data_map) -> list[str]:
    """Every declaration whose erasure rule could not be carried out."""
    problems = []
    for declaration in registry:
        try:
            model = declaration.model_class
        except LookupError:
            continue  # the data map check names it
        action = declaration.erasure.action
        if action == "delete" and not may_be_kept_by_others(model, registry):
            continue  # its rows always go; nothing to blank
        for name in fields_to_blank(declaration, emptying=action != "retain"):
            try:
                f = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # the data map check names it
            if not isinstance(f, models.Field) or blank_for(f) is None:
                remedy = "do not strip it" if action == "retain" else f"Erasure.{action}(keep=...)"
                problems.append(f"{declaration.model}.{name} cannot be blanked: {remedy}")
    return problems

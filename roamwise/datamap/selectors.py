"""Answers from the data map, and only from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import models

from roamwise.vault.errors import DataErased

from .registry import SELF, Declaration, data_map
from .vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS

if TYPE_CHECKING:
    from roamwise.accounts.models import User

ERASED = "[erased]"


@dataclass(frozen=True)
class FieldValue:
    name: str
    category: str
    value: Any


@dataclass(frozen=True)
class HeldRecord:
    model: str
    description: str
    row_id: str
    values: tuple[FieldValue, ...]


def read_field(row: models.Model, name: str) -> Any:
    try:
        return getattr(row, name)
    except DataErased:
        return ERASED


def personal_data_of(subject: User) -> list[HeldRecord]:
    """Every declared personal field of one subject, row by row."""
    held: list[HeldRecord] = []
    for declaration in data_map:
        for row in declaration.rows_of(subject).order_by("pk"):
            values = tuple(
                FieldValue(f.name, f.category, read_field(row, f.name)) for f in declaration.fields
            )
            held.append(
                HeldRecord(declaration.model, str(declaration.description), str(row.pk), values)
            )
    return held


def keys_of(subject: User) -> set[uuid.UUID]:
    """The data keys of a subject: their own, and those of records of theirs
    sealed with a key of the record's own (``Declaration.key_field``)."""
    keys = {subject.public_id}
    for declaration in data_map:
        if declaration.key_field:
            rows = declaration.rows_of(subject)
            keys.update(rows.values_list(declaration.key_field, flat=True).distinct())
    return keys


def fields_in_category(category: str) -> list[tuple[str, str]]:
    """(model, field) for a category and every category below it."""
    return [
        (declaration.model, f.name)
        for declaration in data_map
        for f in declaration.fields
        if f.category == category or f.category.startswith(category + ".")
    ]


def declaration_for(instance: models.Model) -> Declaration | None:
    return data_map.for_model(type(instance))


def subject_of(instance: models.Model) -> User | None:
    """The data subject a row belongs to, by its declared path."""
    declaration = declaration_for(instance)
    if declaration is None or callable(declaration.subject):
        return None
    user_model = get_user_model()
    if declaration.subject == SELF:
        return instance if isinstance(instance, user_model) else None
    target: Any = instance
    for part in declaration.subject.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target if isinstance(target, user_model) else None


@dataclass(frozen=True)
class ProcessingRecord:
    model: str
    description: str
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    legal_basis: str
    recipients: tuple[str, ...]
    retention: str
    erasure: str
    location: str


def records_of_processing() -> list[ProcessingRecord]:
    """The records-of-processing table (GDPR Art. 30), one line per declaration."""
    records = []
    for d in data_map:
        erasure = {"delete": "Deleted", "anonymise": "Anonymised"}.get(
            d.erasure.action, f"Kept: {d.erasure.legal_obligation}"
        )
        records.append(
            ProcessingRecord(
                model=d.model,
                description=str(d.description),
                categories=tuple(CATEGORIES[c] for c in d.categories),
                purposes=tuple(PURPOSES[p] for p in d.purposes),
                legal_basis=LEGAL_BASES[d.legal_basis],
                recipients=tuple(RECIPIENTS[r] for r in d.recipients),
                retention=d.retention.describe(),
                erasure=erasure,
                location=LOCATIONS[d.location],
            )
        )
    return records

"""Erasure verification: after erasure, no value of the subject is left
outside the records kept on purpose (RGT-03, ADR 0010).

Before erasure, ``subject_values`` reads, from every declared field of an
identifying category, the values that say who the subject is: email
addresses, phone numbers, names, the public id, ICCIDs, EIDs, and the rows
other rows point at. It runs while the data key still opens them.

After erasure, ``leftovers`` searches every declared field of every
declaration for those values, each field by the means it allows:

- a foreign key: rows that still point at one of the subject's rows;
- a blind index: the index of every value, and the indexes the subject's own
  rows held;
- an encrypted field: values still sealed with the subject's key (their
  stored form names the key);
- a UUID field: the public id and other ids;
- plain text: equality with any value, containment of the precise ones
  (emails, phone numbers, ids) in free text, and names only in fields that
  hold names;

and every declaration's subject path, for rows still reachable from the
subject. Rows kept on purpose (retained, held) are left out; so are the
fields an anonymised row keeps by declaration.

Emails and ids belong to one person: found anywhere, they are a leftover.
Phone numbers and names may be shared (a family's phone, two Alices): found
in a row that belongs to another person, they are that person's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from roamwise.accounts.models import User
from roamwise.datamap.registry import SELF, Declaration, Registry
from roamwise.datamap.selectors import keys_of
from roamwise.vault import services as vault
from roamwise.vault.errors import VaultError
from roamwise.vault.fields import BlindIndexField, EncryptedMixin, blind_index_value

# Categories whose values identify the subject, and how. IP addresses are
# not here: many people share one (a hotel, a carrier's NAT). Nor are the
# addresses of other people kept in the subject's rows: a parent's
# (``user.contact.parent_email``), or the one a request about the subject came
# from (``user.contact.requester_email``: a parent's, anyone's who reported a
# child's account, CHD-04). They are not the subject's, and that person's own
# account holds them; the subject's own addresses are found in their account.
IDENTIFYING: dict[str, str] = {
    "user.account.username": "name",
    "user.name": "name",
    "user.contact.email": "email",
    "user.contact.phone_number": "phone",
    "user.unique_id": "id",
    "user.device.sim": "id",
    "user.device.eid": "id",
    "user.device.imei": "id",
}
# A name is only a leftover where names are kept: two people share a first
# name, and "alice" in a status column is no finding.
NAME_CATEGORIES = ("user.account", "user.name", "user.staff")
# Free text, where a precise value may hide inside a sentence.
FREE_TEXT_LENGTH = 100
CONTAINED_LENGTH = 6
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class SubjectValues:
    subject_id: uuid.UUID
    # Emails and ids: one person's; searched in every text field.
    unique: set[str] = field(default_factory=set)
    # Phone numbers: searched in every text field, but may be someone else's too.
    shared: set[str] = field(default_factory=set)
    # Usernames and names: equality in fields that hold names; may be shared.
    names: set[str] = field(default_factory=set)
    # Primary keys of the subject's rows, by model, that other rows may point at.
    references: dict[type[models.Model], set[Any]] = field(default_factory=dict)
    # Blind indexes found in the subject's rows, by (model, field).
    indexes: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # The subject's data keys: a value sealed with one is theirs.
    keys: set[uuid.UUID] = field(default_factory=set)

    def add(self, kind: str, value: Any) -> None:
        if value is None:
            return
        text = str(value).strip()
        if kind == "email":
            if EMAIL.fullmatch(text):
                self.unique.add(text.lower())
        elif kind == "phone":
            if sum(c.isdigit() for c in text) >= 7:
                self.shared.add(text)
        elif kind == "id":
            if len(text) >= 8:
                self.unique.add(text)
        elif len(text) >= 2:
            self.names.add(text)

    def uuids(self) -> list[uuid.UUID]:
        found = []
        for value in self.unique:
            try:
                found.append(uuid.UUID(value))
            except ValueError:
                continue
        return found


@dataclass(frozen=True)
class Leftover:
    """A value of the subject that erasure did not remove."""

    model: str
    field: str
    rows: int


def declared_field(declaration: Declaration, name: str) -> models.Field:
    f = declaration.model_class._meta.get_field(name)
    assert isinstance(f, models.Field), f"{declaration.model}.{name} is not a column"
    return f


def _plain_text(f: models.Field) -> bool:
    return isinstance(f, models.CharField | models.TextField) and not isinstance(
        f, EncryptedMixin | BlindIndexField
    )


def subject_values(*, subject: User, registry: Registry) -> SubjectValues:
    """The values that identify ``subject``: ``sealed_values_read`` while their
    keys still open them, then ``plain_values_read``."""
    values = SubjectValues(subject_id=subject.public_id, keys=keys_of(subject))
    sealed_values_read(values, subject=subject, registry=registry)
    plain_values_read(values, subject=subject, registry=registry)
    return values


def _identifying_fields(declaration: Declaration) -> Iterable[tuple[models.Field, str]]:
    for personal in declaration.fields:
        kind = IDENTIFYING.get(personal.category)
        if kind is not None:
            yield declared_field(declaration, personal.name), kind


def sealed_values_read(values: SubjectValues, *, subject: User, registry: Registry) -> None:
    """The encrypted identifying values: the part that needs the keys, kept
    short so that the keys can go as soon as possible."""
    for declaration in registry:
        encrypted = [
            (f.name, kind)
            for f, kind in _identifying_fields(declaration)
            if isinstance(f, EncryptedMixin)
        ]
        if not encrypted:
            continue
        for row in declaration.rows_of(subject).iterator(chunk_size=500):
            for name, kind in encrypted:
                try:
                    values.add(kind, getattr(row, name))
                except VaultError:
                    continue  # already unreadable: the sealed-value search finds it


def plain_values_read(values: SubjectValues, *, subject: User, registry: Registry) -> None:
    """Everything else that identifies the subject, readable without a key."""
    values.add("id", subject.public_id)
    values.add("id", subject.public_id.hex)
    values.add("email", subject.email)
    values.add("name", subject.username)
    values.references.setdefault(type(subject), set()).add(subject.pk)
    for declaration in registry:
        rows = declaration.rows_of(subject)
        for f, kind in _identifying_fields(declaration):
            if f.is_relation and f.related_model is not None:
                target = f.related_model
                assert isinstance(target, type)
                found = rows.filter(**{f"{f.attname}__isnull": False})
                values.references.setdefault(target, set()).update(
                    found.values_list(f.attname, flat=True).distinct()
                )
            elif isinstance(f, BlindIndexField):
                stored = rows.exclude(**{f.name: ""}).values_list(f.name, flat=True).distinct()
                values.indexes.setdefault((declaration.model, f.name), set()).update(stored)
            elif isinstance(f, EncryptedMixin):
                continue
            elif isinstance(f, models.UUIDField | models.CharField | models.TextField):
                for value in rows.values_list(f.name, flat=True).distinct():
                    values.add(kind, value)


def _text_condition(f: models.Field, values: Iterable[str]) -> Q:
    condition = Q()
    for value in values:
        condition |= Q(**{f"{f.name}__iexact": value})
    free_text = isinstance(f, models.TextField) or (f.max_length or 0) >= FREE_TEXT_LENGTH
    if free_text:
        for value in values:
            if len(value) >= CONTAINED_LENGTH:
                condition |= Q(**{f"{f.name}__icontains": value})
    return condition


def _contained(values: Iterable[str]) -> Q:
    condition = Q()
    for value in values:
        if len(value) >= CONTAINED_LENGTH:
            condition |= Q(_stored__icontains=value)
    return condition


def _matches(
    declaration: Declaration, f: models.Field, category: str, values: SubjectValues
) -> tuple[models.QuerySet | None, models.QuerySet | None]:
    """Rows where the field holds a value of the subject: (rows where the value
    can only be theirs, rows where it may also be another person's)."""
    model = declaration.model_class
    manager = model._default_manager
    if f.is_relation:
        references = values.references.get(f.related_model)  # type: ignore[arg-type]
        if not references:
            return None, None
        return manager.filter(**{f"{f.attname}__in": list(references)}), None
    if isinstance(f, BlindIndexField):
        unique = {blind_index_value(model, f.source, v, f.normalise) for v in values.unique}
        shared = {blind_index_value(model, f.source, v, f.normalise) for v in values.shared}
        shared |= values.indexes.get((declaration.model, f.name), set())
        return (
            manager.filter(**{f"{f.name}__in": sorted(unique)}) if unique else None,
            manager.filter(**{f"{f.name}__in": sorted(shared)}) if shared else None,
        )
    if isinstance(f, EncryptedMixin):
        condition = Q()
        for key in sorted(values.keys):
            condition |= Q(_stored__startswith=vault.sealed_prefix(key))
        return manager.annotate(_stored=Cast(f.name, TextField())).filter(condition), None
    if isinstance(f, models.UUIDField):
        ids = values.uuids()
        return (manager.filter(**{f"{f.name}__in": ids}) if ids else None), None
    if isinstance(f, models.JSONField):
        stored = manager.annotate(_stored=Cast(f.name, TextField()))
        unique_q, shared_q = _contained(values.unique), _contained(values.shared)
        return (
            stored.filter(unique_q) if unique_q else None,
            stored.filter(shared_q) if shared_q else None,
        )
    if _plain_text(f) and not f.choices:
        shared = set(values.shared)
        if category.startswith(NAME_CATEGORIES):
            shared |= values.names
        unique_q, shared_q = _text_condition(f, values.unique), _text_condition(f, shared)
        return (
            manager.filter(unique_q) if unique_q else None,
            manager.filter(shared_q) if shared_q else None,
        )
    return None, None


def _not_someone_elses(
    declaration: Declaration, rows: models.QuerySet, subject: User
) -> models.QuerySet:
    """Leave out rows that belong to another person (by the subject path)."""
    if callable(declaration.subject):
        return rows  # no path to tell whose they are: every match counts
    if declaration.subject == SELF:
        return rows.filter(pk=subject.pk)
    path = declaration.subject
    return rows.filter(Q(**{f"{path}__isnull": True}) | Q(**{path: subject.pk}))


def _subject_path(declaration: Declaration) -> str:
    if callable(declaration.subject):
        return f"<{declaration.subject.__name__}>"
    return f"<{declaration.subject}>"


def leftovers(
    *,
    subject: User,
    values: SubjectValues,
    registry: Registry,
    kept: dict[str, set[Any]],
    anonymised: dict[str, set[Any]],
) -> list[Leftover]:
    """Every declared field (and subject path) where a value of the subject
    survived, outside ``kept`` rows and the ``keep`` fields of ``anonymised``
    rows. ``subject`` is the account as it was, for the subject paths."""
    found: list[Leftover] = []
    for declaration in registry:
        kept_rows = kept.get(declaration.model, set())
        emptied = anonymised.get(declaration.model, set())
        for personal in declaration.fields:
            f = declared_field(declaration, personal.name)
            unique, shared = _matches(declaration, f, personal.category, values)
            pks: set[Any] = set()
            if unique is not None:
                pks.update(unique.values_list("pk", flat=True))
            if shared is not None:
                shared = _not_someone_elses(declaration, shared, subject)
                pks.update(shared.values_list("pk", flat=True))
            pks -= kept_rows
            if personal.name in declaration.erasure.keep:
                pks -= emptied
            if pks:
                found.append(Leftover(declaration.model, personal.name, len(pks)))
        reachable = set(declaration.rows_of(subject).values_list("pk", flat=True))
        reachable -= kept_rows | emptied
        if reachable:
            found.append(Leftover(declaration.model, _subject_path(declaration), len(reachable)))
    return found


def describe(found: Iterable[Leftover]) -> str:
    return ", ".join(f"{item.model}.{item.field} ({item.rows} rows)" for item in found)

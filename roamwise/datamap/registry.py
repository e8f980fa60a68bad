"""The registry of personal data: one typed declaration per model.

Apps declare in ``<app>/privacy.py``::

    from roamwise.datamap.registry import Declaration, PersonalField, Retention, Erasure, data_map

    data_map.declare(Declaration(
        model="accounts.Profile",
        subject="user",
        fields=(PersonalField("phone", "user.contact.phone_number"),),
        purposes=("account",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    ))

Rights, retention and the published policy read this registry and nothing
else; the system check in ``checks.py`` proves that every model holding
personal data is in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.apps import apps
from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from roamwise.accounts.models import User

SELF = "self"


@dataclass(frozen=True)
class PersonalField:
    name: str
    category: str
    # The customer may change it themselves (RGT-02); otherwise by request.
    editable: bool = False


@dataclass(frozen=True)
class Retention:
    action: Literal["delete", "anonymise", "keep"]
    # None: for as long as the account exists (then the account rule applies).
    period: timedelta | None = None
    # The timestamp the period runs from: a field of the model.
    anchor: str = "created_at"
    legal_obligation: str = ""
    summary: str = ""

    @classmethod
    def account_lifetime(cls) -> Retention:
        return cls(action="delete", period=None, anchor="")

    @classmethod
    def after(
        cls,
        days: int,
        *,
        anchor: str = "created_at",
        action: Literal["delete", "anonymise"] = "delete",
        summary: str = "",
    ) -> Retention:
        return cls(action=action, period=timedelta(days=days), anchor=anchor, summary=summary)

    def describe(self) -> str:
        if self.summary:
            return self.summary
        if self.period is None:
            days = settings.ACCOUNT_DELETION_GRACE_DAYS
            return f"While the account is open; deleted within {days} days of closing it"
        return f"{self.period.days} days, then {self.action}d"


@dataclass(frozen=True)
class Erasure:
    action: Literal["delete", "anonymise", "retain"]
    legal_obligation: str = ""

    @classmethod
    def delete(cls) -> Erasure:
        return cls(action="delete")

    @classmethod
    def anonymise(cls) -> Erasure:
        return cls(action="anonymise")

    @classmethod
    def retain(cls, legal_obligation: str) -> Erasure:
        return cls(action="retain", legal_obligation=legal_obligation)


SubjectRows = Callable[["User"], models.QuerySet]


@dataclass(frozen=True)
class Declaration:
    model: str  # "app_label.ModelName"
    # The path from a row to its data subject (a user): "self" for the user
    # model, a field path such as "user" or "order__customer", or a function
    # returning the subject's rows when no such path exists.
    subject: str | SubjectRows
    fields: tuple[PersonalField, ...]
    purposes: tuple[str, ...]
    legal_basis: str
    retention: Retention
    erasure: Erasure
    recipients: tuple[str, ...] = ()
    location: str = "primary"
    description: str = ""

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def field_names(self) -> set[str]:
        return {f.name for f in self.fields}

    @property
    def categories(self) -> list[str]:
        return sorted({f.category for f in self.fields})

    def rows_of(self, subject: User) -> models.QuerySet:
        model = self.model_class
        if callable(self.subject):
            return self.subject(subject)
        if self.subject == SELF:
            return model._default_manager.filter(pk=subject.pk)
        return model._default_manager.filter(**{self.subject: subject})


@dataclass(frozen=True)
class NotPersonal:
    """An explicit statement that fields which look personal are not."""

    model: str
    reason: str
    fields: tuple[str, ...] | None = None  # None: the whole model


@dataclass
class Registry:
    declarations: dict[str, Declaration] = field(default_factory=dict)
    not_personal: dict[str, list[NotPersonal]] = field(default_factory=dict)

    def declare(self, declaration: Declaration) -> Declaration:
        key = declaration.model.lower()
        if key in self.declarations:
            raise ValueError(f"{declaration.model} is declared twice in the data map")
        self.declarations[key] = declaration
        return declaration

    def declare_not_personal(self, statement: NotPersonal) -> NotPersonal:
        if not statement.reason.strip():
            raise ValueError(f"{statement.model}: a 'not personal' statement needs a reason")
        self.not_personal.setdefault(statement.model.lower(), []).append(statement)
        return statement

    def for_model(self, model: type[models.Model]) -> Declaration | None:
        return self.declarations.get(model._meta.label_lower)

    def exempt_fields(self, model: type[models.Model]) -> set[str] | None:
        """Fields stated not personal; None when the whole model is."""
        names: set[str] = set()
        for statement in self.not_personal.get(model._meta.label_lower, []):
            if statement.fields is None:
                return None
            names.update(statement.fields)
        return names

    def __iter__(self) -> Iterator[Declaration]:
        return iter(sorted(self.declarations.values(), key=lambda d: d.model))

    def __len__(self) -> int:
        return len(self.declarations)


data_map = Registry()


def values_of(declaration: Declaration, row: models.Model) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in declaration.fields}

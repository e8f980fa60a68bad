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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
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
    # The URL name of the page where the customer changes it themselves
    # (RGT-02), e.g. "rights:name"; empty: it is corrected by request. The
    # privacy center links it; the system check proves the page exists.
    editor: str = ""

    @property
    def editable(self) -> bool:
        return bool(self.editor)


@dataclass(frozen=True)
class Retention:
    action: Literal["delete", "anonymise", "keep"]
    # None: for as long as the account exists (then the account rule applies).
    period: timedelta | None = None
    # The timestamp the period runs from: a field of the model, or of a row it
    # belongs to ("ticket__updated_at": a message goes with its ticket).
    anchor: str = "created_at"
    legal_obligation: str = ""
    summary: str = ""
    # "anonymise": the fields blanked (null, or "" for text); none named: every
    # declared field.
    anonymise_fields: tuple[str, ...] = ()
    # An app's own way of applying this rule (dropping partitions, aggregating
    # first, destroying a year's key): the dotted path of a function called
    # as ``sweeper(sweep=Sweep(...)) -> Swept`` by the retention engine, which
    # otherwise deletes or anonymises rows itself.
    sweeper: str = ""

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
        sweeper: str = "",
    ) -> Retention:
        return cls(
            action=action,
            period=timedelta(days=days),
            anchor=anchor,
            summary=summary,
            sweeper=sweeper,
        )

    def describe(self) -> str:
        if self.summary:
            return self.summary
        if self.period is None:
            days = settings.ACCOUNT_DELETION_GRACE_DAYS
            return f"While the account is open; deleted within {days} days of closing it"
        return f"{self.period.days} days, then {self.action}d"


@dataclass(frozen=True)
class Sweep:
    """What the retention engine asks of a declared sweeper: apply one rule."""

    now: datetime
    # Rows whose anchor is before this are past their period.
    cutoff: datetime
    dry_run: bool
    # At most this many rows in one transaction.
    chunk_size: int
    # The rows of the model under an active legal hold (RET-07): never delete
    # or anonymise them. None: nothing is held.
    held: models.Q | None


@dataclass(frozen=True)
class Swept:
    """What a sweeper did (or, in a dry run, would do): counts, never content."""

    deleted: int = 0
    anonymised: int = 0
    held: int = 0


class RecipientUnreachable(Exception):
    """A recipient could not be told to stop processing a subject's data
    (``Erasure.at_recipients``); the message says which and why."""


@dataclass(frozen=True)
class Erasure:
    """What erasing the subject does to these rows (``rights.erasure``, ADR 0010).

    - delete: the rows go. A row that a record kept by law still refers to
      (an account its invoices point at) is emptied instead: every declared
      field is blanked except those named in ``keep``.
    - anonymise: the rows stay, every declared field blanked (null, "", a
      fresh random id) except those named in ``keep``, which no longer say
      who the person was once the rest is gone (an eSIM's state).
    - retain: the rows stay under ``legal_obligation``, minimised: the
      declared fields named in ``strip`` are blanked, because the obligation
      does not need them (a phone number on an order kept for tax law).
    """

    action: Literal["delete", "anonymise", "retain"]
    legal_obligation: str = ""
    keep: tuple[str, ...] = ()
    strip: tuple[str, ...] = ()
    # Where the recipients of these rows still hold or act on the data (a
    # line live at the network, a profile reserved at the SM-DP+): the dotted
    # path of a function ``(rows: QuerySet) -> int`` that tells them to stop
    # and delete it, before anything of ours is erased (GDPR Art. 17(2), 19),
    # and returns how many rows it ended. It must be idempotent, and raise
    # ``RecipientUnreachable`` to stop the erasure with nothing changed.
    at_recipients: str = ""

    @classmethod
    def delete(cls, *, keep: tuple[str, ...] = (), at_recipients: str = "") -> Erasure:
        return cls(action="delete", keep=keep, at_recipients=at_recipients)

    @classmethod
    def anonymise(cls, *, keep: tuple[str, ...] = (), at_recipients: str = "") -> Erasure:
        return cls(action="anonymise", keep=keep, at_recipients=at_recipients)

    @classmethod
    def retain(cls, legal_obligation: str, *, strip: tuple[str, ...] = ()) -> Erasure:
        return cls(action="retain", legal_obligation=legal_obligation, strip=strip)


SubjectRows = Callable[["User"], models.QuerySet]
RowsFilter = Callable[[models.QuerySet], models.QuerySet]


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
    # A recipient that receives only some of the fields: (recipient, field
    # names) pairs. The others receive every field. An eSIM wholesaler gets the
    # eSIM's ICCID, never the EID of the device it is installed on.
    received: tuple[tuple[str, tuple[str, ...]], ...] = ()
    location: str = "primary"
    # What these rows are, for the customer, in the reader's language
    # (gettext_lazy): shown beneath the label in the privacy center.
    description: Any = ""
    # What the privacy center calls these rows, in the reader's language
    # (gettext_lazy): "Your orders", "Sign-ins". Required (datamap.E024).
    label: Any = ""
    # A UUID field naming a data key of the row's own, when the row is sealed
    # with one rather than with its subject's (a visitor's ticket): that key
    # is one of the subject's too, destroyed on erasure (ADR 0010).
    key_field: str = ""
    # Rows the subject may not be shown yet, though they are theirs (a legal
    # request whose order forbids telling them): a function taking the
    # subject's rows and returning those to show. Access, export and the
    # erasure report use it; retention and erasure still see every row.
    shown_to_subject: RowsFilter | None = None

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def field_names(self) -> set[str]:
        return {f.name for f in self.fields}

    @property
    def categories(self) -> list[str]:
        return sorted({f.category for f in self.fields})

    def categories_for(self, recipient: str) -> list[str]:
        """The kinds of data ``recipient`` receives from these rows."""
        names = dict(self.received).get(recipient)
        if names is None:
            return self.categories
        return sorted({f.category for f in self.fields if f.name in names})

    def rows_of(self, subject: User) -> models.QuerySet:
        model = self.model_class
        if callable(self.subject):
            return self.subject(subject)
        if self.subject == SELF:
            return model._default_manager.filter(pk=subject.pk)
        return model._default_manager.filter(**{self.subject: subject})

    def rows_shown_to(self, subject: User) -> models.QuerySet:
        """The subject's rows they may be shown now (all, unless ``shown_to_subject``)."""
        rows = self.rows_of(subject)
        return self.shown_to_subject(rows) if self.shown_to_subject else rows


@dataclass(frozen=True)
class NotPersonal:
    """An explicit statement that fields which look personal are not."""

    model: str
    reason: str
    fields: tuple[str, ...] | None = None  # None: the whole model


# Reasons that recur in "not personal" statements.
ROW_BOOKKEEPING = (
    "Bookkeeping of the row: its public id and when it was written or changed, set by the "
    "system; it says nothing of the person that the declared fields do not."
)
A_LINK = "A link to another of our records, declared in its own right where it is personal."
JOB_BOOKKEEPING = (
    "Delivery and retry bookkeeping of a background job (attempts, leases, when to try next, "
    "sizes): about our machinery, not the person."
)
TOKEN_HASH = (
    "The hash of a single-use random token: it cannot be reversed and says nothing "  # noqa: S105
    "about anyone."
)
KEY_NAME = (
    "Names a data key in the key store (ADR 0003), which the erasure destroys; not a fact "
    "about the person."
)


def _also_hiding(declaration: Declaration, rows_filter: RowsFilter) -> Declaration:
    own = declaration.shown_to_subject
    if own is None:
        return replace(declaration, shown_to_subject=rows_filter)
    return replace(declaration, shown_to_subject=lambda rows: rows_filter(own(rows)))


@dataclass(frozen=True)
class Sends:
    """What one adapter sends to its recipient (SHR-02, SHR-07).

    The adapter module reads its categories from here for the disclosure log,
    the processors registry shows them as what the recipient receives, and the
    system check holds them equal to what the declarations say that recipient
    gets: the registry and the adapters agree by construction. ``active`` says
    whether the adapter serves this deployment (one payment processor at a
    time); None: always."""

    recipient: str  # a code of ``vocabulary.RECIPIENTS``
    adapter: str  # the module that sends: "roamwise.payments.gateways.stripe"
    categories: tuple[str, ...]
    active: Callable[[], bool] | None = None

    @property
    def is_active(self) -> bool:
        return self.active is None or self.active()


@dataclass
class Registry:
    declarations: dict[str, Declaration] = field(default_factory=dict)
    not_personal: dict[str, list[NotPersonal]] = field(default_factory=dict)
    # What each adapter sends, by adapter module.
    sends: dict[str, Sends] = field(default_factory=dict)

    # Filters an app above the declaring one adds to ``shown_to_subject``
    # (governance hides a confidential legal request's traces in the access
    # log and the legal holds): the lower app need not import the higher.
    hidden: dict[str, list[RowsFilter]] = field(default_factory=dict)

    def declare(self, declaration: Declaration) -> Declaration:
        key = declaration.model.lower()
        if key in self.declarations:
            raise ValueError(f"{declaration.model} is declared twice in the data map")
        for rows_filter in self.hidden.get(key, []):
            declaration = _also_hiding(declaration, rows_filter)
        self.declarations[key] = declaration
        return declaration

    def hide_from_subject(self, model: str, rows_filter: RowsFilter) -> None:
        """Add ``rows_filter`` to what ``model``'s subject may be shown, whether
        its declaration comes before or after."""
        key = model.lower()
        self.hidden.setdefault(key, []).append(rows_filter)
        if key in self.declarations:
            self.declarations[key] = _also_hiding(self.declarations[key], rows_filter)

    def declare_not_personal(self, statement: NotPersonal) -> NotPersonal:
        if not statement.reason.strip():
            raise ValueError(f"{statement.model}: a 'not personal' statement needs a reason")
        self.not_personal.setdefault(statement.model.lower(), []).append(statement)
        return statement

    def declare_sends(self, sends: Sends) -> Sends:
        if sends.adapter in self.sends:
            raise ValueError(f"{sends.adapter} declares what it sends twice")
        self.sends[sends.adapter] = sends
        return sends

    def sends_to(self, recipient: str, *, active_only: bool = False) -> list[Sends]:
        """The adapters that send to ``recipient``; with ``active_only``, those
        this deployment uses."""
        return [
            s
            for s in self.sends.values()
            if s.recipient == recipient and (s.is_active or not active_only)
        ]

    def declared_for(self, recipient: str) -> set[str]:
        """The categories the declarations say ``recipient`` receives."""
        return {
            category
            for declaration in self
            if recipient in declaration.recipients
            for category in declaration.categories_for(recipient)
        }

    def for_model(self, model: type[models.Model]) -> Declaration | None:
        return self.declarations.get(model._meta.label_lower)

    def shown_to(self, model: type[models.Model], subject: User) -> models.QuerySet:
        """The subject's rows of a declared model that they may be shown now:
        what every page and export for the customer reads."""
        declaration = self.for_model(model)
        if declaration is None:
            raise LookupError(f"{model._meta.label} is not in the data map")
        return declaration.rows_shown_to(subject)

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

"""Reads: everything held about a customer, from the data map and only from it
(RGT-01, RGT-04); a customer's requests; the queue's reminders.

The walk over the data map is shared by the privacy center (a sample of each
source, grouped by category) and the export (every row), so the page and the
download cannot disagree about what is held.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.audit.selectors import accesses_of
from roamwise.consent import selectors as consent
from roamwise.core.dates import local_date, local_datetime
from roamwise.datamap.registry import Declaration, data_map
from roamwise.datamap.selectors import read_field
from roamwise.datamap.vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS
from roamwise.governance.models import Disclosure
from roamwise.vault.fields import EncryptedMixin

from . import deadlines
from .errors import RequestNotFound
from .models import OPEN_STATUSES, DataRequest, DataRequestFile, RequesterKind

# Shown as held but never copied out: a password hash, a TOTP seed, a session's
# secrets are of no use to their owner and of great use to a thief who gets
# hold of an export (Art. 15(4): the right of access must not harm others).
WITHHELD_CATEGORIES = {"user.authorization.credentials"}
WITHHELD_FIELDS = {("sessions.session", "session_data"), ("usersessions.usersession", "data")}
WITHHELD = "[held, not shown: a security credential]"
PAGE_ROWS = 5


@dataclass(frozen=True)
class Binary:
    """A file-like value: written as a file of the export, not inlined."""

    content: bytes


class Resolver:
    """Turns a foreign key into something a customer may see, once per target:
    the subject's own public id, another row's public id, or only that it was
    a member of staff (their name is not the customer's data)."""

    def __init__(self, subject: User) -> None:
        self.subject = subject
        self.cache: dict[tuple[str, Any], Any] = {}

    def __call__(self, related: type[models.Model], pk: Any) -> Any:
        if pk is None:
            return None
        key = (related._meta.label_lower, pk)
        if key not in self.cache:
            self.cache[key] = self._resolve(related, pk)
        return self.cache[key]

    def _resolve(self, related: type[models.Model], pk: Any) -> Any:
        if issubclass(related, User):
            if pk == self.subject.pk:
                return str(self.subject.public_id)
            other = User.objects.filter(pk=pk).values_list("is_staff", flat=True).first()
            return "a member of staff" if other else "another person"
        if row_id_field(related) == "public_id":
            public_id = related._default_manager.filter(pk=pk).values_list("public_id", flat=True)
            found = public_id.first()
            return str(found) if found is not None else None
        return str(pk)


def json_value(value: Any) -> Any:
    """A stored value as JSON: text, numbers, booleans, lists and objects."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return Binary(bytes(value))
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_value(v) for v in value]
    return str(value)


def _withheld(declaration: Declaration, name: str, category: str) -> bool:
    return category in WITHHELD_CATEGORIES or (declaration.model.lower(), name) in WITHHELD_FIELDS


# (name, "withheld" | "relation" | "sealed" | "value", the model field)
FieldPlan = tuple[str, str, Any]


def field_plan(declaration: Declaration) -> list[FieldPlan]:
    """How each declared field is read, decided once per model (not per row)."""
    meta = declaration.model_class._meta
    plan: list[FieldPlan] = []
    for personal in declaration.fields:
        model_field = meta.get_field(personal.name)
        if _withheld(declaration, personal.name, personal.category):
            plan.append((personal.name, "withheld", None))
        elif model_field.many_to_one or model_field.one_to_one:
            plan.append((personal.name, "relation", model_field))
        elif isinstance(model_field, EncryptedMixin):
            plan.append((personal.name, "sealed", model_field))
        else:
            plan.append((personal.name, "value", model_field))
    return plan


def row_id_field(model: type[models.Model]) -> str:
    """What names a row to the customer: its public id where it has one (the
    id in the shop's links, and what other rows' references resolve to), else
    its primary key."""
    has_public_id = any(f.name == "public_id" for f in model._meta.concrete_fields)
    return "public_id" if has_public_id else "pk"


def _plain_rows(
    queryset: QuerySet, plan: list[FieldPlan], resolver: Resolver
) -> list[tuple[str, dict[str, Any]]]:
    """Rows of a model with no encrypted field, read as tuples: no model
    instance per row (a year of usage records is 50,000 of them)."""
    readable = [(name, how, f) for name, how, f in plan if how != "withheld"]
    columns = [f.attname for _, _, f in readable]
    withheld = [name for name, how, _ in plan if how == "withheld"]
    # One converter a column, chosen once: a year of usage records is a few
    # hundred thousand cells.
    converters: list[Callable[[Any], Any]] = [
        partial(resolver, f.related_model) if how == "relation" else _json_converter(f)
        for _, how, f in readable
    ]
    names = [name for name, _, _ in readable]
    order = [name for name, _, _ in plan]
    rows = []
    id_field = row_id_field(queryset.model)
    for pk, *cells in queryset.values_list(id_field, *columns).iterator(chunk_size=5000):
        values: dict[str, Any] = dict.fromkeys(withheld, WITHHELD)
        for name, convert, cell in zip(names, converters, cells, strict=True):
            values[name] = convert(cell)
        rows.append((str(pk), values if not withheld else {n: values[n] for n in order}))
    return rows


def _same(value: Any) -> Any:
    return value


def _isoformat(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _json_converter(model_field: models.Field) -> Callable[[Any], Any]:
    """What ``json_value`` would do with this column's values, decided once."""
    if isinstance(model_field, models.DateTimeField | models.DateField | models.TimeField):
        return _isoformat
    plain = models.CharField | models.TextField | models.IntegerField | models.BooleanField
    if isinstance(model_field, plain) and not isinstance(model_field, EncryptedMixin):
        return _same
    return json_value


def row_values(
    declaration: Declaration,
    row: models.Model,
    resolver: Resolver,
    plan: list[FieldPlan] | None = None,
) -> dict[str, Any]:
    """The declared fields of one row, ready for JSON (files as ``Binary``)."""
    values: dict[str, Any] = {}
    for name, how, model_field in plan or field_plan(declaration):
        if how == "withheld":
            values[name] = WITHHELD
        elif how == "relation":
            # The id column, not the related row: one query per target, not per row.
            values[name] = resolver(model_field.related_model, getattr(row, model_field.attname))
        else:
            values[name] = json_value(read_field(row, name))
    return values


@dataclass
class SourceRows:
    declaration: Declaration
    total: int
    rows: list[tuple[str, dict[str, Any]]]  # (row id, values)


def held_sources(subject: User, *, limit: int | None = None) -> Iterator[SourceRows]:
    """Each declaration that holds rows of ``subject``, with its rows (all of
    them, or the first ``limit``)."""
    resolver = Resolver(subject)
    for declaration in data_map:
        queryset = declaration.rows_shown_to(subject).order_by("pk")
        plan = field_plan(declaration)
        id_field = row_id_field(declaration.model_class)
        if limit is None:
            if any(how == "sealed" for _, how, _ in plan):
                rows = [
                    (str(getattr(row, id_field)), row_values(declaration, row, resolver, plan))
                    for row in queryset.iterator(chunk_size=2000)
                ]
            else:
                rows = _plain_rows(queryset, plan, resolver)
            total = len(rows)
        else:
            total = queryset.count()
            if not total:
                continue
            rows = [
                (str(getattr(row, id_field)), row_values(declaration, row, resolver, plan))
                for row in queryset[:limit]
            ]
        if rows:
            yield SourceRows(declaration, total, rows)


# --- The privacy center -------------------------------------------------------


@dataclass
class FieldInfo:
    name: str
    label: str
    editable: bool
    key: str  # "app.Model.field"
    withheld: bool = False  # a credential: held, never shown, nothing to correct
    edit_url: str = ""  # where the customer changes it themselves, if they can
    correctable: bool = False  # offered for a correction request (CORRECTABLE_CATEGORIES)


@dataclass
class SourceInCategory:
    model: str
    label: str  # the declaration's, in the reader's language
    description: str
    location: str
    retention: str
    fields: list[FieldInfo]
    total: int
    rows: list[list[Any]]  # sample rows: the values of ``fields``, in order


@dataclass
class CategoryGroup:
    category: str
    label: str
    sources: list[SourceInCategory] = field(default_factory=list)


def _field_label(declaration: Declaration, name: str) -> str:
    verbose = getattr(declaration.model_class._meta.get_field(name), "verbose_name", name)
    return str(verbose).capitalize()


def _local_moment(value: str) -> str | None:
    """An ISO date or moment (as the export writes it) in the reader's words and
    time zone ("7 Dec 2026, 10:00"); None when ``value`` is not one."""
    if len(value) < 10 or not value[:4].isdigit() or value[4:5] != "-":
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) == 10:
        return local_date(moment.date(), "medium")
    return local_datetime(moment)


def _display(value: Any) -> Any:
    if isinstance(value, str) and (moment := _local_moment(value)):
        return moment
    if isinstance(value, Binary):
        return f"(a file of {len(value.content)} bytes: in your download)"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:300]
    if value is None or value == "":
        return "—"
    return value


def privacy_overview(*, user: User, sample: int = PAGE_ROWS) -> list[CategoryGroup]:
    """What we hold about ``user``, by data category (RGT-01)."""
    groups: dict[str, CategoryGroup] = {}
    for source in held_sources(user, limit=sample):
        declaration = source.declaration
        by_category: dict[str, list[FieldInfo]] = {}
        for personal in declaration.fields:
            by_category.setdefault(personal.category, []).append(
                FieldInfo(
                    personal.name,
                    _field_label(declaration, personal.name),
                    personal.editable,
                    f"{declaration.model}.{personal.name}",
                    withheld=_withheld(declaration, personal.name, personal.category),
                )
            )
        for category, fields in by_category.items():
            group = groups.setdefault(category, CategoryGroup(category, CATEGORIES[category]))
            group.sources.append(
                SourceInCategory(
                    model=declaration.model,
                    label=str(declaration.label),
                    description=str(declaration.description),
                    location=LOCATIONS[declaration.location],
                    retention=declaration.retention.describe(),
                    fields=fields,
                    total=source.total,
                    rows=[[_display(values[f.name]) for f in fields] for _, values in source.rows],
                )
            )
    order = list(CATEGORIES)
    return sorted(groups.values(), key=lambda g: order.index(g.category))


@dataclass(frozen=True)
class StorageLocation:
    location: str
    label: str
    sources: tuple[str, ...]


def storage_of(*, user: User) -> list[StorageLocation]:
    """Where this customer's data rests, by the data map's ``location`` (RET-08),
    each source named by its label in the reader's language."""
    places: dict[str, list[str]] = {}
    for declaration in data_map:
        if declaration.rows_shown_to(user).exists():
            places.setdefault(declaration.location, []).append(str(declaration.label))
    return [
        StorageLocation(location, LOCATIONS[location], tuple(models_))
        for location, models_ in sorted(places.items())
    ]


def editors() -> dict[str, str]:
    """``"app.Model.field"``: the URL name of the page that edits it, for every
    field the data map gives an editor."""
    return {f"{d.model}.{f.name}": f.editor for d in data_map for f in d.fields if f.editor}


def editable_fields() -> list[tuple[str, str]]:
    """(model, field) the customer may change themselves (RGT-02)."""
    return [(d.model, f.name) for d in data_map for f in d.fields if f.editable]


# What a customer knows about themselves and can tell us is wrong: the rest
# (identifiers, logs, records of what happened) is what it is, and stays
# complete in the export (RGT-02).
CORRECTABLE_CATEGORIES = (
    "user.name",
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.demographic.date_of_birth",
)


def correctable_fields() -> list[tuple[str, str]]:
    """(value, label) of every field a correction request may name: the
    customer's own details (name, phone, addresses, date of birth, billing
    details) that they cannot edit themselves, in words, without internal names."""
    choices = []
    for declaration in data_map:
        for personal in declaration.fields:
            if personal.editable or _withheld(declaration, personal.name, personal.category):
                continue
            if personal.category not in CORRECTABLE_CATEGORIES or personal.name.endswith("_index"):
                continue  # not the customer's own details, or a search index of them
            label = f"{CATEGORIES[personal.category]}: {_field_label(declaration, personal.name)}"
            if declaration.description:
                label = f"{label} ({declaration.description})"
            choices.append((f"{declaration.model}.{personal.name}", label))
    return choices


def consent_overview(*, user: User) -> dict[str, Any]:
    return {
        "choices": consent.consent_choices(user=user),
        "objections": consent.objections_of(user=user),
        "history": consent.consent_history(user=user),
    }


def recipients_of(*, user: User, limit: int = 200) -> list[Disclosure]:
    """Who received this customer's data, by category (SHR-03), but for an
    authority whose order still forbids telling them."""
    return list(data_map.shown_to(Disclosure, user).order_by("-occurred_at")[:limit])


def staff_accesses_of(*, user: User, limit: int = 200) -> list[AccessEvent]:
    return list(accesses_of(subject=user)[:limit])


# --- Requests -------------------------------------------------------------------


def requests_of(*, user: User) -> QuerySet[DataRequest]:
    # A report of the account by someone else is not the holder's to see (CHD-04).
    return (
        DataRequest.objects.filter(user=user)
        .exclude(requester_kind=RequesterKind.REPORTER)
        .order_by("-created_at", "-pk")
    )


def request_for(*, user: User, public_id: uuid.UUID | str) -> DataRequest:
    """One of this customer's requests; ``RequestNotFound`` for anyone else's."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        raise RequestNotFound(gettext("No such request.")) from None
    found = (
        DataRequest.objects.filter(public_id=wanted, user=user)
        .exclude(requester_kind=RequesterKind.REPORTER)
        .first()
    )
    if found is None:
        raise RequestNotFound(gettext("No such request."))
    return found


def file_of(*, request: DataRequest, public_id: uuid.UUID | str) -> DataRequestFile:
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        raise RequestNotFound(gettext("No such file.")) from None
    found = request.files.filter(public_id=wanted).first()
    if found is None:
        raise RequestNotFound(gettext("No such file."))
    return found


def countdown(request: DataRequest, *, now: dt.datetime | None = None) -> str:
    """ "due in 12 days", "due today", "overdue by 3 days"; for closed requests, empty."""
    if not request.is_open:
        return ""
    moment = now or timezone.now()
    seconds = (request.due_at - moment).total_seconds()
    days = int(abs(seconds) // 86400)
    span = "1 day" if days == 1 else f"{days} days"
    if seconds < 0:
        return "overdue by less than a day" if days == 0 else f"overdue by {span}"
    if days == 0:
        hours = int(seconds // 3600)
        return f"due in {hours} hours" if hours else "due within the hour"
    return f"due in {span}"


def overdue(*, now: dt.datetime | None = None) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


@dataclass(frozen=True)
class ReminderDue:
    request_id: int
    days_before: int
    # Every level this reminder covers (a request that arrives late in its
    # period gets one reminder, not one per level passed at once).
    levels: tuple[int, ...]


def reminders_due(*, now: dt.datetime | None = None) -> list[ReminderDue]:
    """Open requests within a reminder level of their deadline that were not
    reminded at that level for that deadline."""
    moment = now or timezone.now()
    levels = list(settings.RIGHTS_REMINDER_DAYS)  # largest first
    if not levels:
        return []
    horizon = moment + dt.timedelta(days=max(levels))
    due: list[ReminderDue] = []
    candidates = (
        DataRequest.objects.filter(status__in=OPEN_STATUSES, due_at__lte=horizon)
        .exclude(status="verifying")
        .prefetch_related("reminders")
        .order_by("due_at", "pk")
    )
    for request in candidates:
        sent = {r.days_before for r in request.reminders.all() if r.due_at == request.due_at}
        passed = [d for d in levels if moment >= request.due_at - dt.timedelta(days=d)]
        fresh = [d for d in passed if d not in sent]
        if fresh:
            due.append(ReminderDue(request.pk, min(fresh), tuple(fresh)))
    return due


def jurisdiction_label(name: str) -> str:
    return deadlines.label(name)


VOCABULARY = {
    "categories": CATEGORIES,
    "purposes": PURPOSES,
    "legal_bases": LEGAL_BASES,
    "recipients": RECIPIENTS,
    "locations": LOCATIONS,
}


# --- Staff: finding the account a parent or a reporter names (CHD-03, CHD-04) -----------


@dataclass(frozen=True)
class AccountCandidate:
    user: User
    claimed_age: int | None  # from the date of birth given at sign-up
    under_13: bool
    awaiting_parent: bool


def account_candidates(*, query: str, today: dt.date | None = None) -> list[AccountCandidate]:
    """Customer accounts whose username or any address (verified or not) is
    exactly ``query``: exact matches only, so that staff see no one else."""
    from allauth.account.models import EmailAddress

    from roamwise.accounts.services import age_on

    query = (query or "").strip()
    if not query:
        return []
    by_address = EmailAddress.objects.filter(email__iexact=query).values("user_id")
    users = (
        User.objects.filter(is_staff=False)
        .filter(
            models.Q(username__iexact=query)
            | models.Q(email__iexact=query)
            | models.Q(pk__in=by_address)
        )
        .select_related("profile", "parental_consent")
        .order_by("pk")[:10]
    )
    today = today or timezone.localdate()
    found = []
    for user in users:
        profile = getattr(user, "profile", None)
        age = age_on(profile.date_of_birth, today) if profile is not None else None
        consent = getattr(user, "parental_consent", None)
        found.append(
            AccountCandidate(
                user=user,
                claimed_age=age,
                under_13=age is not None and age < settings.MINIMUM_AGE,
                awaiting_parent=consent is not None and consent.status == "pending",
            )
        )
    return found

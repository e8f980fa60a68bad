"""Erasure of one data subject, through the data map only (RGT-03, SEC-05).

The entry point the rest of the system calls is ``erase_subject``: erasure
requests (rights), the sweep of closed accounts (retention), a parent's
refusal or request for a child (CHD-02, CHD-03), the restore of a backup
(``restore_tombstones``). It is the one way to erase. It returns what
happened, model by model, including what the law makes us keep and why.

The steps, in this order (ADR 0010):

0. Tell the recipients that still hold or act on the subject's data to stop
   (``Erasure.at_recipients``: the eSIMs' lines and profiles at the network
   and the SM-DP+). One that cannot be reached stops the erasure here, with
   nothing changed: ``ErasureBlocked``, to be tried again.
1. Write a tombstone (public id and date) in the key store and in the primary
   database: from here on a crash or a restore is finished by
   ``manage.py restore_tombstones``.
2. Read the values that identify the subject (for step 5) while the key still
   opens them.
3. Destroy the subject's data keys (crypto-shredding): their own, and those
   of records sealed with a key of their own (a ticket written as a visitor).
   Every encrypted field of theirs, in every copy and backup, becomes
   unreadable at once. Not while a legal hold is active: the held records
   must stay readable (RET-07).
4. In one transaction of the primary database, walk the data map, models that
   refer to others first, and apply each declaration's erasure rule to the
   subject's rows: delete, anonymise, or retain minimised under the named
   obligation (RET-03). Rows under a legal hold are left as they are. The
   account row goes last: deleted, or emptied when records kept by law still
   refer to it.
5. Verify: search every declared field for the values of step 2. Anything
   found outside the records kept on purpose raises ``ErasureIncomplete``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from roamwise.accounts import services as accounts
from roamwise.accounts.models import User
from roamwise.core import metrics
from roamwise.core.errors import DomainError
from roamwise.datamap.registry import (
    SELF,
    Declaration,
    RecipientUnreachable,
    Registry,
    data_map,
)
from roamwise.datamap.rules import SAME_FOR_EVERY_ROW, blank_for, fields_to_blank, rule_problems
from roamwise.datamap.selectors import keys_of
from roamwise.retention.models import LegalHold
from roamwise.retention.selectors import active_holds, held_object_ids
from roamwise.vault import services as vault

from .erasure_check import (
    Leftover,
    SubjectValues,
    describe,
    leftovers,
    plain_values_read,
    sealed_values_read,
)

CHUNK = 500


class ErasureIncomplete(Exception):
    """Verification found a value of the subject that erasure did not remove.

    What erasure could do is done and committed (re-running it is safe);
    ``leftovers`` says exactly where the rest is, model and field.
    """

    def __init__(self, report: ErasureReport, found: Sequence[Leftover]) -> None:
        self.report = report
        self.leftovers = tuple(found)
        super().__init__(
            f"Erasure of {report.subject_id} is incomplete; still found: {describe(found)}"
        )


class ErasureBlocked(DomainError):
    """A recipient could not be told to stop (step 0): nothing was erased.
    Erasing again once it answers carries on from there."""

    code = "erasure_blocked"
    status = 503


class ErasureRuleError(Exception):
    """A declaration's erasure rule cannot be carried out (a field it would
    have to blank cannot be blanked). Raised before anything is changed."""


@dataclass(frozen=True)
class Retained:
    model: str
    rows: int
    reason: str  # the legal obligation, as the customer reads it
    # Rows the customer may not be told of yet (``Declaration.shown_to_subject``):
    # in the report staff read, left out of the one the customer reads.
    withheld: bool = False


@dataclass
class ErasureReport:
    subject_id: uuid.UUID
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    retained: list[Retained] = field(default_factory=list)
    verified: bool = False
    reason: str = ""
    erased_at: datetime | None = None
    # No data key of the subject exists any more: sealed values are unreadable.
    key_destroyed: bool = False
    # The active legal holds that suspend part of the erasure (their reasons).
    # While there are any, the key and the held rows stay; erasing again once
    # they are released finishes the work.
    held_by: list[str] = field(default_factory=list)
    # The rows of each model whose recipients were told to stop (step 0).
    recipients_told: dict[str, int] = field(default_factory=dict)
    # Seconds from the start until the recipients were told, until the data
    # was unreadable (keys destroyed), until the rows were erased, and until
    # verified (the benchmark reads them).
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.verified and self.key_destroyed and not self.held_by


# --- The subject's rows and the holds on them -------------------------------


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def erasure_order(registry: Registry = data_map) -> list[Declaration]:
    """Declarations with every model before the models it refers to, so that
    no deletion is refused by a PROTECT or leaves a dangling reference; the
    account comes last."""
    by_model = {d.model_class: d for d in registry}
    parents = {
        model: {
            f.related_model
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in by_model and f.related_model is not model
        }
        for model in by_model
    }
    ordered: list[Declaration] = []
    remaining = sorted(by_model, key=lambda m: m._meta.label)
    while remaining:
        referred = {p for m in remaining for p in parents[m]}
        ready = [m for m in remaining if m not in referred] or remaining[:1]  # a cycle: break it
        ordered.extend(by_model[m] for m in ready)
        remaining = [m for m in remaining if m not in ready]
    return ordered


@dataclass
class _Rows:
    declaration: Declaration
    pks: list[Any]
    held: set[Any] = field(default_factory=set)
    hold_reasons: set[str] = field(default_factory=set)
    # The rows the subject may not be shown yet (a confidential legal request).
    hidden: set[Any] = field(default_factory=set)

    @property
    def model(self) -> type[models.Model]:
        return self.declaration.model_class

    @property
    def free(self) -> list[Any]:
        return [pk for pk in self.pks if pk not in self.held]


# What the customer reads of a hold they may not be told of yet.
UNDISCLOSED_HOLD = "Kept to meet a legal obligation"


def _hold_reason(hold: LegalHold, undisclosed: Collection[Any] = ()) -> str:
    if hold.pk in undisclosed:
        return UNDISCLOSED_HOLD
    return f"Legal hold ({hold.get_kind_display().lower()}): {hold.reason}"


def _hidden_rows(declaration: Declaration | None, subject: User, pks: list[Any]) -> set[Any]:
    """Which of these rows of the subject they may not be shown yet (a
    confidential legal request's), by the declaration's ``shown_to_subject``."""
    if declaration is None or declaration.shown_to_subject is None or not pks:
        return set()
    return set(pks) - set(declaration.rows_shown_to(subject).values_list("pk", flat=True))


def _apply_holds(
    plan: list[_Rows], subject_id: uuid.UUID, holds: list[LegalHold], undisclosed: set[Any]
) -> None:
    """Mark the rows a hold keeps (RET-07): the rows it names, the rows that
    belong to them (a held ticket keeps its messages), and the rows those
    belong to (deleting them would cascade to the held ones). The account row
    is handled by the caller: any hold keeps it."""
    by_model = {rows.model: rows for rows in plan if rows.declaration.subject != SELF}
    for rows in by_model.values():
        named = held_object_ids(subject_id=subject_id, model=rows.declaration.model)
        label = rows.declaration.model.lower()
        if named is None:
            rows.held = set(rows.pks)
        else:
            rows.held = {pk for pk in rows.pks if str(pk) in named}
        if rows.held:
            rows.hold_reasons = {
                _hold_reason(h, undisclosed) for h in holds if h.model in ("", label)
            }
    links: dict[type[models.Model], list[tuple[str, _Rows]]] = {}
    for model in by_model:
        links[model] = [
            (f.attname, by_model[f.related_model])
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in by_model and f.related_model is not model
        ]
    # Each row's references to the other declared models, read once.
    values: dict[type[models.Model], dict[Any, tuple[Any, ...]]] = {}
    for model, rows in by_model.items():
        if not links[model]:
            continue
        of_model = values[model] = {}
        for chunk in _chunks(rows.pks):
            found = model._default_manager.filter(pk__in=chunk).values_list(
                "pk", *[attname for attname, _ in links[model]]
            )
            of_model.update((row[0], tuple(row[1:])) for row in found)
    all_pks = {model: set(rows.pks) for model, rows in by_model.items()}
    # Down: rows whose parent is held.
    changed = True
    while changed:
        changed = False
        for model, rows in by_model.items():
            for index, (_, parent) in enumerate(links[model]):
                if not parent.held:
                    continue
                for pk, refs in values.get(model, {}).items():
                    if pk not in rows.held and refs[index] in parent.held:
                        rows.held.add(pk)
                        rows.hold_reasons |= parent.hold_reasons
                        changed = True
    # Up: the rows held rows belong to.
    changed = True
    while changed:
        changed = False
        for model, rows in by_model.items():
            for index, (_, parent) in enumerate(links[model]):
                for pk in rows.held:
                    ref = values.get(model, {}).get(pk, (None,) * len(links[model]))[index]
                    if ref in all_pks[parent.model] and ref not in parent.held:
                        parent.held.add(ref)
                        parent.hold_reasons |= rows.hold_reasons
                        changed = True


# --- Applying the rules -------------------------------------------------------


def _blank_rows(declaration: Declaration, pks: Sequence[Any], names: Sequence[str]) -> None:
    if not pks or not names:
        return
    model = declaration.model_class
    blanks = {}
    for name in names:
        blank = blank_for(model._meta.get_field(name))  # type: ignore[arg-type]
        if blank is None:
            raise ErasureRuleError(
                gettext("%(model)s.%(name)s cannot be blanked")
                % {"model": declaration.model, "name": name}
            )
        blanks[name] = blank
    # A fresh id or a unique placeholder differs row by row.
    per_row = {n for n, b in blanks.items() if b is uuid.uuid4 or b not in SAME_FOR_EVERY_ROW}
    manager = model._default_manager
    if per_row:
        for pk in pks:
            manager.filter(pk=pk).update(**{n: b() for n, b in blanks.items()})
        return
    constant = {n: b() for n, b in blanks.items()}
    for chunk in _chunks(pks):
        manager.filter(pk__in=chunk).update(**constant)


def _delete_rows(declaration: Declaration, pks: Sequence[Any], report: ErasureReport) -> list[Any]:
    """Delete the rows; return those a record kept by law still refers to."""
    manager = declaration.model_class._default_manager
    protected: list[Any] = []
    for chunk in _chunks(pks):
        try:
            with transaction.atomic():
                _, counts = manager.filter(pk__in=chunk).delete()
        except (ProtectedError, RestrictedError):
            counts = {}
            for pk in chunk:
                try:
                    with transaction.atomic():
                        _, one = manager.filter(pk=pk).delete()
                except (ProtectedError, RestrictedError):
                    protected.append(pk)
                    continue
                for label, count in one.items():
                    counts[label] = counts.get(label, 0) + count
        for label, count in counts.items():
            if count:
                report.deleted[label] = report.deleted.get(label, 0) + count
    return protected


def _count(mapping: dict[str, int], model: str, rows: int) -> None:
    if rows:
        mapping[model] = mapping.get(model, 0) + rows


def _retain(report: ErasureReport, rows: _Rows, pks: Collection[Any], reason: str) -> None:
    """Report rows kept, those the subject may not be told of yet apart."""
    withheld = sum(1 for pk in pks if pk in rows.hidden)
    name = rows.declaration.model
    if len(pks) > withheld:
        report.retained.append(Retained(name, len(pks) - withheld, reason))
    if withheld:
        report.retained.append(Retained(name, withheld, reason, withheld=True))


def _apply(
    rows: _Rows,
    report: ErasureReport,
    anonymised_pks: dict[str, set[Any]],
    kept_pks: dict[str, set[Any]],
) -> None:
    declaration = rows.declaration
    erasure = declaration.erasure
    name = declaration.model
    if rows.held:
        _retain(report, rows, rows.held, "; ".join(sorted(rows.hold_reasons)))
        kept_pks.setdefault(name, set()).update(rows.held)
    free = rows.free
    if not free:
        return
    if erasure.action == "retain":
        _blank_rows(declaration, free, fields_to_blank(declaration, emptying=False))
        _retain(report, rows, free, erasure.legal_obligation)
        kept_pks.setdefault(name, set()).update(free)
        return
    emptied = free if erasure.action == "anonymise" else _delete_rows(declaration, free, report)
    _blank_rows(declaration, emptied, fields_to_blank(declaration, emptying=True))
    _count(report.anonymised, name, len(emptied))
    anonymised_pks.setdefault(name, set()).update(emptied)


def _tell_recipients(subject: User, registry: Registry, report: ErasureReport) -> None:
    """Step 0: each declaration's recipients are told to stop, before anything
    of ours changes, while the rows still say what to end."""
    for declaration in registry:
        path = declaration.erasure.at_recipients
        if not path:
            continue
        tell: Callable[[models.QuerySet], int] = import_string(path)
        try:
            ended = tell(declaration.rows_of(subject))
        except RecipientUnreachable as exc:
            raise ErasureBlocked(
                gettext(
                    "Nothing was erased: a recipient of %(model)s could not be told "
                    "to stop (%(exc)s). Try again once it answers."
                )
                % {"model": declaration.model, "exc": exc}
            ) from exc
        _count(report.recipients_told, declaration.model, ended)


def _as_it_was(user: User) -> User:
    """The account as erasure found it, for the subject paths and the search
    afterwards (the row itself is deleted or emptied meanwhile)."""
    current = User.objects.filter(pk=user.pk, public_id=user.public_id).first()
    source = current or user
    return User(
        pk=source.pk,
        public_id=source.public_id,
        username=source.username,
        email=source.email,
    )


def erasure_attempt(*, user: User, reason: str) -> str:
    """Erase ``user`` for the retention sweep: "" when done, otherwise the name
    of what stopped this account (the sweep counts it and goes on to the next)."""
    try:
        erase_subject(user=user, reason=reason)
    except (ErasureBlocked, ErasureIncomplete, ProtectedError) as problem:
        return type(problem).__name__
    return ""


@metrics.PRIVACY_SECONDS.labels(kind="erasure").time()
def erase_subject(*, user: User, reason: str, registry: Registry = data_map) -> ErasureReport:
    """Erase everything the data map holds of ``user``, except what law keeps.

    Idempotent: erasing again (after a crash, a restore, a released hold)
    finishes what is left and changes nothing else. Call it outside a
    transaction: keys and tombstones are in the key store and are not rolled
    back with the primary database (ADR 0010).
    """
    problems = rule_problems(registry)  # also a system check; a test registry may differ
    if problems:
        raise ErasureRuleError("; ".join(problems))
    started = time.perf_counter()
    subject = _as_it_was(user)
    subject_id = subject.public_id
    now = timezone.now()
    report = ErasureReport(subject_id=subject_id, reason=reason, erased_at=now)

    # 0. The recipients that still act on the data: nothing changes if one fails.
    _tell_recipients(subject, registry, report)
    report.seconds["recipients"] = time.perf_counter() - started
    # 1. The tombstone first: whatever happens next, the erasure is on record.
    vault.tombstone_write(subject_id=subject_id, erased_at=now)
    # 2. What identifies the subject, the sealed part while it can still be read.
    values = SubjectValues(subject_id=subject_id, keys=keys_of(subject))
    sealed_values_read(values, subject=subject, registry=registry)
    # 3. The keys, unless a hold needs the held records readable.
    holds = list(active_holds(subject_id=subject_id))
    undisclosed = _hidden_rows(registry.for_model(LegalHold), subject, [h.pk for h in holds])
    report.held_by = sorted({_hold_reason(h, undisclosed) for h in holds})
    if not holds:
        for key in sorted(values.keys):
            # Each destroyed key is remembered, so that restoring the key
            # store destroys it again.
            vault.tombstone_write(subject_id=key, erased_at=now)
            vault.shred(key)
    report.key_destroyed = not vault.keys_present(values.keys)
    report.seconds["unreadable"] = time.perf_counter() - started
    plain_values_read(values, subject=subject, registry=registry)

    # 4. The rows, in one transaction, children before parents.
    plan = [
        _Rows(d, list(d.rows_of(subject).order_by("pk").values_list("pk", flat=True)))
        for d in erasure_order(registry)
    ]
    for rows in plan:
        rows.hidden = _hidden_rows(rows.declaration, subject, rows.pks)
    if holds:
        _apply_holds(plan, subject_id, holds, undisclosed)
        for rows in plan:
            if rows.declaration.subject == SELF:
                rows.held = set(rows.pks)
                rows.hold_reasons = set(report.held_by)
    anonymised_pks: dict[str, set[Any]] = {}
    kept_pks: dict[str, set[Any]] = {}
    with transaction.atomic():
        for rows in plan:
            if rows.declaration.subject == SELF and rows.held:
                # Held: the account stays as it is, but stops working.
                rows.model._default_manager.filter(pk__in=rows.pks).update(is_active=False)
            _apply(rows, report, anonymised_pks, kept_pks)
    report.seconds["rows"] = time.perf_counter() - started

    # 5. Nothing of the subject outside what is kept on purpose.
    found = leftovers(
        subject=subject,
        values=values,
        registry=registry,
        kept=kept_pks,
        anonymised=anonymised_pks,
    )
    report.seconds["verified"] = time.perf_counter() - started
    if found:
        raise ErasureIncomplete(report, found)
    report.verified = True
    return report


def parental_refusal_erase(*, token: str) -> ErasureReport:
    """A parent refuses consent to a child's account (CHD-02): the account
    closes and is erased at once."""
    child = accounts.parental_consent_refuse(token=token)
    return erase_subject(user=child, reason="A parent refused consent to the account (CHD-02)")

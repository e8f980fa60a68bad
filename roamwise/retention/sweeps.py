"""The retention sweep: every rule of the data map, applied in chunks (RET-06).

One engine for every app. It walks the registry, builds one rule per declared
model, and applies each:

- models kept "while the account is open" (``Retention.account_lifetime()``)
  are one rule, the closed-accounts rule: an account whose closure grace
  period has ended (``AccountClosure.delete_after``) is erased through
  ``rights.erasure.erase_subject`` (RET-01), through ``hooks.py``;
- a declaration with a ``sweeper`` is applied by that app's function
  (usage drops monthly partitions, analytics aggregates before it purges,
  invoices destroy their year's key, support shreds visitors' keys, audit
  keeps its hash chain verifiable);
- every other rule with a period deletes, or anonymises (blanks the declared
  fields), the rows whose anchor is older than the period, in bounded batches
  by primary key;
- "keep" rules without a period are recorded and left alone.

Rows under an active legal hold are skipped and counted (RET-07). A dry run
counts and changes nothing. Each run writes a record of what each rule did, in
counts: never a row's content.

This module is the service the nightly task and ``manage.py retention_sweep``
call; it is kept apart from ``services`` (legal holds), which payments import,
so that placing a hold never imports the erasure machinery.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from roamwise.accounts.selectors import closed_accounts_due, unconsented_minors_due
from roamwise.core.errors import DomainError
from roamwise.datamap.registry import Declaration, Registry, Sweep, Swept, data_map

from .hooks import erase_subject
from .models import RetentionRun, RetentionRunRule
from .selectors import HoldCoverage

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1000
CLOSED_ACCOUNTS = "accounts.User"
# A minor's account whose parent never answered (CHD-02): named after the
# record whose expiry decides it.
UNCONSENTED_MINORS = "accounts.ParentalConsent"


class UnknownRule(DomainError):
    code = "unknown_rule"


class NotBlankable(ValueError):
    """An anonymise rule names a field that can be neither null nor blank."""


@dataclass(frozen=True)
class Rule:
    model: str  # as declared: "support.Ticket"
    action: str  # RetentionRunRule.Action
    period: timedelta | None
    declaration: Declaration | None  # None: an account rule (ACCOUNT_RULES)

    @property
    def key(self) -> str:
        return self.model.lower()


def _is_account_lifetime(declaration: Declaration) -> bool:
    retention = declaration.retention
    return retention.period is None and retention.action != "keep"


def _children_first(declarations: list[Declaration]) -> list[Declaration]:
    """Rows that belong to others are swept before them: the counts then say
    what each rule removed, and no parent's delete is refused by a child."""
    by_key = {d.model.lower(): d for d in sorted(declarations, key=lambda d: d.model)}
    graph: dict[str, set[str]] = {key: set() for key in by_key}
    for key, declaration in by_key.items():
        for field in declaration.model_class._meta.concrete_fields:
            related = field.related_model if field.is_relation else None
            if related is None or isinstance(related, str):
                continue
            parent = related._meta.label_lower
            if parent in graph and parent != key:
                graph[parent].add(key)
    # Kahn's algorithm, the first name in alphabetical order first: rules
    # stay grouped by app wherever the relations allow.
    waiting = {key: len(children) for key, children in graph.items()}
    ready = [key for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(key)
        for parent, children in graph.items():
            if key in children:
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    heapq.heappush(ready, parent)
    if len(order) < len(graph):  # a cycle: the rest in name order
        order += sorted(set(graph) - set(order))
    return [by_key[key] for key in order]


def retention_rules(*, registry: Registry = data_map) -> list[Rule]:
    """Every rule of the data map, in the order a run applies them."""
    grace = timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
    unanswered = timedelta(days=settings.PARENTAL_CONSENT_DAYS)
    rules = [
        Rule(CLOSED_ACCOUNTS, RetentionRunRule.Action.ERASE, grace, None),
        Rule(UNCONSENTED_MINORS, RetentionRunRule.Action.ERASE, unanswered, None),
    ]
    own = [d for d in registry if not _is_account_lifetime(d)]
    for declaration in _children_first(own):
        retention = declaration.retention
        rules.append(Rule(declaration.model, retention.action, retention.period, declaration))
    return rules


# --- Anonymisation ----------------------------------------------------------


def blank_value(field: models.Field | models.ForeignObjectRel) -> Any:
    """What a field is set to when anonymised: null, or empty text."""
    if isinstance(field, models.ForeignObjectRel):
        raise NotBlankable(
            gettext("%(name)s is a reverse relation, not a field of the row") % {"name": field.name}
        )
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField):
        return ""
    raise NotBlankable(
        gettext("%(label)s.%(name)s can be neither null nor blank text")
        % {"label": field.model._meta.label, "name": field.name}
    )


def anonymised_values(declaration: Declaration) -> dict[str, Any]:
    model = declaration.model_class
    names = declaration.retention.anonymise_fields or tuple(f.name for f in declaration.fields)
    return {name: blank_value(model._meta.get_field(name)) for name in names}


def _already_blank(values: dict[str, Any]) -> Q:
    condition = Q()
    for name, value in values.items():
        if value is None:
            condition &= Q(**{f"{name}__isnull": True})
        else:
            # Length, not equality: encrypted fields refuse comparisons.
            condition &= Q(Exact(Length(name), 0))
    return condition


# --- Applying one rule -------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """One run's settings, shared by its rules."""

    now: datetime
    dry_run: bool
    chunk_size: int
    holds: HoldCoverage


def _rows_in_chunks(todo: QuerySet, *, chunk_size: int, apply: Any) -> int:
    """Apply ``apply(pks) -> int`` to ``todo`` in batches by primary key,
    each in its own transaction; the total it returns."""
    done = 0
    last: Any = None
    while True:
        page = todo if last is None else todo.filter(pk__gt=last)
        pks = list(page.order_by("pk").values_list("pk", flat=True)[:chunk_size])
        if not pks:
            return done
        with transaction.atomic():
            done += apply(pks)
        last = pks[-1]


def _sweep_rows(declaration: Declaration, *, sweep: Sweep) -> Swept:
    """The default rule: delete or anonymise what is past its period."""
    retention = declaration.retention
    model = declaration.model_class
    manager = model._default_manager
    due = manager.filter(**{f"{retention.anchor}__lt": sweep.cutoff})
    values: dict[str, Any] = {}
    if retention.action == "anonymise":
        values = anonymised_values(declaration)
        due = due.exclude(_already_blank(values))
    held = 0
    todo = due
    if sweep.held is not None:
        held = due.filter(sweep.held).count()
        todo = due.exclude(sweep.held)

    def batch(pks: list[Any]) -> QuerySet:
        # The hold is applied again: one placed since the page was read wins.
        rows = manager.filter(pk__in=pks)
        return rows.exclude(sweep.held) if sweep.held is not None else rows

    if retention.action == "anonymise":
        if sweep.dry_run:
            return Swept(anonymised=todo.count(), held=held)
        count = _rows_in_chunks(
            todo, chunk_size=sweep.chunk_size, apply=lambda pks: batch(pks).update(**values)
        )
        return Swept(anonymised=count, held=held)
    if sweep.dry_run:
        return Swept(deleted=todo.count(), held=held)

    def delete(pks: list[Any]) -> int:
        _, per_model = batch(pks).delete()
        return per_model.get(model._meta.label, 0)

    return Swept(
        deleted=_rows_in_chunks(todo, chunk_size=sweep.chunk_size, apply=delete), held=held
    )


def _erase_accounts(step: Pass, due: QuerySet, *, reason: str) -> Swept:
    """Erase each account of ``due``, in chunks by primary key.

    An account with any active legal hold waits, whole, until the hold is
    released: erasure would otherwise reach what the hold keeps.
    """
    held_subjects = step.holds.subject_ids()
    held = due.filter(public_id__in=held_subjects).count() if held_subjects else 0
    todo = due.exclude(public_id__in=held_subjects) if held_subjects else due
    if step.dry_run:
        return Swept(deleted=todo.count(), held=held)
    erased = failed = 0
    error = ""
    last = 0
    while True:
        chunk = list(todo.filter(pk__gt=last).order_by("pk")[: step.chunk_size])
        if not chunk:
            break
        last = chunk[-1].pk  # before erasure, which clears a deleted row's pk
        for user in chunk:
            problem = erase_subject(user=user, reason=reason)
            if problem:
                failed += 1
                error = error or problem
                logger.error("retention: erasing account %s failed: %s", user.pk, error)
            else:
                erased += 1
    if failed:
        raise RuleFailed(Swept(deleted=erased, held=held), failed=failed, error=error)
    return Swept(deleted=erased, held=held)


def _sweep_closed_accounts(step: Pass) -> Swept:
    """RET-01: erase each account whose closure grace period has ended."""
    return _erase_accounts(
        step,
        closed_accounts_due(now=step.now),
        reason="Account closed: its grace period has ended",
    )


def _sweep_unconsented_minors(step: Pass) -> Swept:
    """CHD-02: a minor's account whose parent never answered before the
    consent link expired never opened; it is erased like a refused one."""
    return _erase_accounts(
        step,
        unconsented_minors_due(now=step.now),
        reason="A parent did not answer the consent request in time (CHD-02)",
    )


ACCOUNT_RULES = {
    CLOSED_ACCOUNTS: _sweep_closed_accounts,
    UNCONSENTED_MINORS: _sweep_unconsented_minors,
}


class RuleFailed(Exception):
    """Some rows of a rule could not be processed; the rest were."""

    def __init__(self, swept: Swept, *, failed: int, error: str) -> None:
        super().__init__(f"{failed} row(s) failed: {error}")
        self.swept = swept
        self.failed = failed
        self.error = error


def apply_rule(rule: Rule, step: Pass) -> Swept:
    if rule.declaration is None:
        return ACCOUNT_RULES[rule.model](step)
    if rule.action == "keep" or rule.period is None:
        return Swept()
    declaration = rule.declaration
    sweep = Sweep(
        now=step.now,
        cutoff=step.now - rule.period,
        dry_run=step.dry_run,
        chunk_size=step.chunk_size,
        held=step.holds.q_for(declaration),
    )
    if declaration.retention.sweeper:
        sweeper = import_string(declaration.retention.sweeper)
        result: Swept = sweeper(sweep=sweep)
        return result
    return _sweep_rows(declaration, sweep=sweep)


# --- A run -------------------------------------------------------------------


def _select(rules: list[Rule], wanted: Iterable[str]) -> list[Rule]:
    keys = {name.strip().lower() for name in wanted if name.strip()}
    if not keys:
        return rules
    known = {rule.key for rule in rules}
    unknown = sorted(keys - known)
    if unknown:
        raise UnknownRule(
            gettext("No retention rule for %(join)s. Rules: ") % {"join": ", ".join(unknown)}
            + ", ".join(rule.model for rule in rules)
        )
    return [rule for rule in rules if rule.key in keys]


def retention_sweep_run(
    *,
    dry_run: bool = False,
    rules: Iterable[str] = (),
    trigger: str = RetentionRun.Trigger.COMMAND,
    now: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    registry: Registry = data_map,
) -> RetentionRun:
    """Apply the data map's retention rules (all, or those of ``rules``) and
    record the run. A rule that fails is recorded as failed and the others
    still run; the run's status then says so."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    moment = now or timezone.now()
    selected = _select(retention_rules(registry=registry), rules)
    run = RetentionRun.objects.create(
        started_at=timezone.now(),
        dry_run=dry_run,
        trigger=trigger,
        selection=", ".join(rule.model for rule in selected) if rules else "",
    )
    step = Pass(
        now=moment, dry_run=dry_run, chunk_size=chunk_size, holds=HoldCoverage.now(registry)
    )
    status = RetentionRun.Status.DONE
    for position, rule in enumerate(selected):
        started = timezone.now()
        failed = 0
        error = ""
        try:
            swept = apply_rule(rule, step)
        except RuleFailed as partial:
            swept, failed, error = partial.swept, partial.failed, partial.error
        except (DatabaseError, ValueError, ImportError) as problem:
            # Only the kind of error is kept: its message could quote a row.
            swept, failed, error = Swept(), 1, type(problem).__name__
            logger.exception("retention: rule %s failed", rule.model)
        if failed:
            status = RetentionRun.Status.FAILED
        RetentionRunRule.objects.create(
            run=run,
            position=position,
            model=rule.model,
            action=rule.action,
            period_days=rule.period.days if rule.period is not None else None,
            cutoff=(moment - rule.period) if rule.period is not None else None,
            deleted=swept.deleted,
            anonymised=swept.anonymised,
            held=swept.held,
            failed=failed,
            error=error,
            started_at=started,
            finished_at=timezone.now(),
        )
    RetentionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), status=status)
    run.refresh_from_db()
    return run

"""The sweep engine: chunks, dry runs, run records (RET-06), the command, the
nightly task, anonymisation, failures, and the check of the rules."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roamwise.accounts.models import LoginEvent, User
from roamwise.accounts.services import account_close, login_record
from roamwise.analytics.services import event_record
from roamwise.consent.models import ConsentRecord
from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    PersonalField,
    Registry,
    Retention,
    Sweep,
    Swept,
    data_map,
)
from roamwise.notifications.models import Notification
from roamwise.retention import sweeps
from roamwise.retention.checks import check_registry
from roamwise.retention.models import RetentionRun, RetentionRunRule
from roamwise.support.services import ticket_open
from roamwise.testing.helpers import rows_containing
from roamwise.vault.models import DataKey

from .conftest import counts, sweep

FAR = timedelta(days=20 * 365)


def logins(user: User, n: int) -> list[int]:
    return [
        login_record(user=user, user_agent="Mozilla/5.0 Firefox/120.0", ip="81.56.0.1").pk
        for _ in range(n)
    ]


def snapshot() -> dict[str, int]:
    """How many rows every declared model holds, and how many data keys exist."""
    rows = {d.model: d.model_class._default_manager.count() for d in data_map}
    rows["vault.DataKey"] = DataKey.objects.count()
    return rows


@pytest.mark.commitment("RET-06")
def test_rules_are_applied_in_chunks(alice: User) -> None:
    logins(alice, 25)

    with CaptureQueriesContext(connection) as queries:
        run = sweep("accounts.LoginEvent", now=timezone.now() + FAR, chunk_size=10)

    deletes = [
        q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "accounts_loginevent"')
    ]
    assert len(deletes) == 3  # 10 + 10 + 5
    assert not LoginEvent.objects.exists()
    assert counts(run, "accounts.LoginEvent") == (25, 0, 0)


@pytest.mark.commitment("RET-06")
def test_a_dry_run_changes_nothing_and_says_what_a_run_would_do(alice: User, bob: User) -> None:
    logins(alice, 3)
    ConsentRecord.objects.create(
        user=bob, purpose="analytics", granted=True, source="banner", policy_version="1"
    )
    ticket_open(customer=bob, category="question", title="Roaming?", body="Help")
    event_record(
        subject="v:x", kind="pageview", path="/", now=timezone.now() - dt.timedelta(days=1)
    )
    account_close(user=alice)
    before = snapshot()

    run = sweep(now=timezone.now() + FAR, dry_run=True)

    assert snapshot() == before
    assert User.objects.get(pk=alice.pk).is_active is False
    assert run.dry_run is True and run.status == RetentionRun.Status.DONE
    assert counts(run, "accounts.User") == (1, 0, 0)
    assert counts(run, "accounts.LoginEvent") == (3, 0, 0)
    assert counts(run, "consent.ConsentRecord") == (1, 0, 0)
    assert counts(run, "support.Ticket") == (1, 0, 0)
    assert counts(run, "analytics.Event") == (1, 0, 0)


@pytest.mark.commitment("RET-06")
def test_a_run_records_each_rule_in_counts_never_the_content(alice: User) -> None:
    logins(alice, 2)
    Notification.objects.create(
        user=alice,
        key_subject=alice.public_id,
        kind="test",
        template="t",
        title="Your trip to Lisbon",
        link="/trips/lisbon/",
    )
    started = timezone.now()
    moment = started + FAR

    run = sweep(now=moment)

    assert run.dry_run is False and run.trigger == RetentionRun.Trigger.COMMAND
    assert run.started_at >= started and run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert [r.model for r in run.rules.all()] == [r.model for r in sweeps.retention_rules()]
    login_rule = run.rules.get(model="accounts.LoginEvent")
    assert (login_rule.action, login_rule.deleted, login_rule.period_days) == ("delete", 2, 365)
    assert login_rule.cutoff == moment - timedelta(days=365)
    assert login_rule.started_at <= login_rule.finished_at
    assert counts(run, "notifications.Notification") == (1, 0, 0)
    # What a run keeps: which rule, what it did, how many, when. Nothing else.
    assert {f.name for f in RetentionRunRule._meta.concrete_fields} == {
        "id",
        "run",
        "position",
        "model",
        "action",
        "period_days",
        "cutoff",
        "deleted",
        "anonymised",
        "held",
        "failed",
        "error",
        "started_at",
        "finished_at",
    }
    for needle in ("lisbon", alice.email, str(alice.public_id), "firefox"):
        assert not [hit for hit in rows_containing(needle) if hit.startswith("retention_")]


@pytest.mark.commitment("RET-06")
def test_a_failing_rule_is_recorded_by_its_kind_and_the_others_still_run(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    logins(alice, 1)

    def broken(*, sweep: Sweep) -> Swept:
        raise DatabaseError(f"row of {alice.email} is locked")

    monkeypatch.setattr("roamwise.analytics.services.analytics_events_sweep", broken)

    run = sweep(now=timezone.now() + FAR)

    failed = run.rules.get(model="analytics.Event")
    assert (failed.failed, failed.error) == (1, "DatabaseError")
    assert run.status == RetentionRun.Status.FAILED
    assert counts(run, "accounts.LoginEvent") == (1, 0, 0)
    assert not LoginEvent.objects.exists()
    assert not [hit for hit in rows_containing(alice.email) if hit.startswith("retention_")]


def test_anonymise_blanks_the_declared_fields_once_in_chunks(alice: User) -> None:
    registry = Registry()
    registry.declare(
        Declaration(
            model="notifications.Notification",
            subject="user",
            fields=(
                PersonalField("title", "user.account.settings"),
                PersonalField("link", "user.account.settings"),
                PersonalField("read_at", "user.behavior.browsing_history"),
            ),
            purposes=("service",),
            legal_basis="contract",
            retention=Retention.after(30, action="anonymise"),
            erasure=Erasure.delete(),
        )
    )
    for n in range(5):
        Notification.objects.create(
            user=alice,
            key_subject=alice.public_id,
            kind="test",
            template="t",
            title=f"Trip {n}",
            link="/trips/",
            read_at=timezone.now(),
        )
    later = timezone.now() + timedelta(days=31)

    run = sweeps.retention_sweep_run(registry=registry, now=later, chunk_size=2)

    assert counts(run, "notifications.Notification") == (0, 5, 0)
    for notification in Notification.objects.all():
        assert (notification.title, notification.link, notification.read_at) == ("", "", None)
    assert Notification.objects.count() == 5
    again = sweeps.retention_sweep_run(registry=registry, now=later)
    assert counts(again, "notifications.Notification") == (0, 0, 0)


def test_the_command_prints_a_table_and_refuses_unknown_rules(alice: User) -> None:
    logins(alice, 2)
    out = StringIO()

    call_command("retention_sweep", "--dry-run", "--rule", "accounts.LoginEvent", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Dry run: nothing was changed; the counts are what a run would do."
    assert lines[1].split() == [
        "rule",
        "action",
        "would",
        "delete",
        "would",
        "anonymise",
        "held",
        "failed",
    ]
    assert lines[3].split() == ["accounts.LoginEvent", "delete", "0", "0", "0", "0"]
    assert lines[4].startswith("Retention run ")
    assert LoginEvent.objects.count() == 2
    run = RetentionRun.objects.get()
    assert (run.dry_run, run.selection) == (True, "accounts.LoginEvent")

    with pytest.raises(CommandError, match=r"No retention rule for catalog\.plan"):
        call_command("retention_sweep", "--rule", "catalog.Plan", stdout=StringIO())
    with pytest.raises(CommandError, match="at least 1"):
        call_command("retention_sweep", "--chunk-size", "0", stdout=StringIO())


def test_the_command_fails_when_a_rule_fails(monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    def broken(*, sweep: Sweep) -> Swept:
        raise DatabaseError("boom")

    monkeypatch.setattr("roamwise.analytics.services.analytics_events_sweep", broken)
    out = StringIO()
    with pytest.raises(CommandError, match="Some rules failed; see retention run"):
        call_command("retention_sweep", "--rule", "analytics.Event", stdout=out)
    assert "1 (DatabaseError)" in out.getvalue()


def test_the_per_app_sweeps_are_gone_and_one_nightly_task_remains() -> None:
    from huey.contrib.djhuey import HUEY

    import roamwise.notifications.tasks
    import roamwise.orders.tasks  # noqa: F401
    from roamwise.retention.tasks import retention_sweep_nightly

    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    retention_like = {n for n in names if any(w in n for w in ("retention", "aggregate", "closed"))}
    assert retention_like == {"retention_sweep_nightly"}
    assert "unconfirmed_tickets_sweep" not in names
    schedule = retention_sweep_nightly.task_class()
    assert schedule.validate_datetime(dt.datetime(2030, 1, 1, 3, 17))
    assert not schedule.validate_datetime(dt.datetime(2030, 1, 1, 4, 17))


# The job closes its database connection when done, as a consumer's job should.
@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("RET-06")
def test_the_nightly_task_runs_the_same_sweep_through_the_queue(alice: User, jobs) -> None:  # type: ignore[no-untyped-def]
    from roamwise.accounts.models import AccountClosure
    from roamwise.retention.tasks import retention_sweep_nightly

    closure = account_close(user=alice)

    month_ago = timezone.now() - timedelta(days=31)
    AccountClosure.objects.filter(pk=closure.pk).update(
        closed_at=month_ago, delete_after=month_ago + timedelta(days=30)
    )

    retention_sweep_nightly()
    jobs()

    run = RetentionRun.objects.get()
    assert (run.trigger, run.dry_run, run.status) == ("task", False, "done")
    assert counts(run, "accounts.User") == (1, 0, 0)
    assert not User.objects.filter(pk=alice.pk).exists()


def test_the_check_finds_rules_that_cannot_be_applied() -> None:
    registry = Registry()
    base = {
        "subject": "user",
        "purposes": ("service",),
        "legal_basis": "contract",
        "erasure": Erasure.delete(),
    }
    registry.declare(
        Declaration(
            model="notifications.Notification",
            fields=(PersonalField("created_at", "user.account.settings"),),
            retention=Retention.after(30, action="anonymise"),
            **base,  # type: ignore[arg-type]
        )
    )
    registry.declare(
        Declaration(
            model="notifications.Preference",
            fields=(PersonalField("kind", "user.account.settings"),),
            retention=Retention.after(30, sweeper="roamwise.nowhere.sweep"),
            **base,  # type: ignore[arg-type]
        )
    )

    messages = {(e.id, e.msg) for e in check_registry(registry)}

    assert messages == {
        (
            "retention.E003",
            "notifications.Notification.created_at can be neither null nor blank text: "
            "it cannot be anonymised.",
        ),
        (
            "retention.E001",
            "notifications.Preference: sweeper 'roamwise.nowhere.sweep' cannot be imported.",
        ),
    }
    assert check_registry(data_map) == []

"""Deadlines per jurisdiction, extensions and reminders, with time pinned by
passing ``now`` (RGT-09: answered within 30 days, configurable per jurisdiction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.audit import roles
from roamwise.core.errors import InvalidTransition
from roamwise.rights import deadlines, selectors
from roamwise.rights.errors import ExtensionRefused
from roamwise.rights.models import (
    DataRequest,
    DataRequestReminder,
    RequesterKind,
    RequestKind,
    RequestStatus,
)
from roamwise.rights.services import customer, public
from roamwise.rights.services import staff as staff_queue
from roamwise.testing.helpers import committed
from roamwise.testing.people import staff_client

JAN_31 = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)


def correction(user: User, *, jurisdiction: str | None, now: datetime) -> DataRequest:
    return committed(  # type: ignore[return-value]
        lambda: customer.correction_request(
            user=user,
            fields=[],
            details="My surname is misspelt.",
            jurisdiction=jurisdiction,
            now=now,
        )
    )


@pytest.mark.commitment("RGT-09")
def test_gdpr_gives_one_calendar_month(alice: User) -> None:
    request = correction(alice, jurisdiction="gdpr", now=JAN_31)

    # 31 January + one month: the last day of February (EU Reg. 1182/71 Art. 3(2)(c)).
    assert request.due_at == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert deadlines.due_after(datetime(2028, 1, 31, tzinfo=UTC), "gdpr") == datetime(
        2028, 2, 29, tzinfo=UTC
    )
    assert deadlines.due_after(datetime(2027, 3, 15, tzinfo=UTC), "gdpr") == datetime(
        2027, 4, 15, tzinfo=UTC
    )
    assert deadlines.due_after(datetime(2027, 12, 20, tzinfo=UTC), "gdpr") == datetime(
        2028, 1, 20, tzinfo=UTC
    )


@pytest.mark.commitment("RGT-09")
def test_ccpa_gives_45_days_and_the_default_is_30(alice: User) -> None:
    ccpa = correction(alice, jurisdiction="ccpa", now=JAN_31)
    default = correction(alice, jurisdiction=None, now=JAN_31)

    assert ccpa.due_at == JAN_31 + timedelta(days=45)
    assert (default.jurisdiction, default.due_at) == ("default", JAN_31 + timedelta(days=30))


@pytest.mark.commitment("RGT-09")
def test_the_periods_and_the_default_jurisdiction_are_settings(
    alice: User, settings: object
) -> None:
    settings.RIGHTS_RESPONSE_PERIODS = {"default": "30d", "gdpr": "1m", "lgpd": "15d"}  # type: ignore[attr-defined]
    settings.RIGHTS_DEFAULT_JURISDICTION = "lgpd"  # type: ignore[attr-defined]

    request = correction(alice, jurisdiction=None, now=JAN_31)

    assert (request.jurisdiction, request.due_at) == ("lgpd", JAN_31 + timedelta(days=15))
    assert deadlines.jurisdictions()[0] == ("lgpd", "LGPD: answered within 15 days")


@pytest.mark.commitment("RGT-09")
def test_an_extension_records_who_why_and_the_new_date_and_tells_the_requester(
    alice: User, staff: User, jobs: object
) -> None:
    request = correction(alice, jurisdiction="gdpr", now=JAN_31)
    jobs()  # type: ignore[operator]
    mail.outbox.clear()

    committed(
        lambda: staff_queue.request_extend(
            request=request,
            actor=staff,
            reason="The records are in an archive we must restore first.",
            now=JAN_31 + timedelta(days=10),
        )
    )
    jobs()  # type: ignore[operator]

    request.refresh_from_db()
    # GDPR Art. 12(3): two further months, from the first deadline.
    assert request.status == RequestStatus.EXTENDED
    assert request.first_due_at == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert request.due_at == datetime(2027, 4, 28, 9, 30, tzinfo=UTC)
    assert request.extended_by == staff
    assert request.extended_at == JAN_31 + timedelta(days=10)
    assert request.extension_reason == "The records are in an archive we must restore first."
    event = request.events.get(to_status=RequestStatus.EXTENDED)
    assert (event.actor, event.note) == (staff, "deadline extended by 2 months to 2027-04-28")
    (told,) = mail.outbox
    assert told.to == ["alice@example.com"]
    assert "28 April 2027" in told.body and "archive we must restore" in told.body


@pytest.mark.commitment("RGT-09")
def test_an_extension_needs_a_reason_comes_once_and_before_the_deadline(
    alice: User, staff: User
) -> None:
    ccpa = correction(alice, jurisdiction="ccpa", now=JAN_31)

    with pytest.raises(ExtensionRefused):
        staff_queue.request_extend(request=ccpa, actor=staff, reason="busy", now=JAN_31)
    with pytest.raises(ExtensionRefused):
        staff_queue.request_extend(
            request=ccpa,
            actor=staff,
            reason="Too late to ask for more time now.",
            now=JAN_31 + timedelta(days=46),
        )
    staff_queue.request_extend(
        request=ccpa, actor=staff, reason="Many systems to search.", now=JAN_31
    )
    ccpa.refresh_from_db()
    assert ccpa.due_at == JAN_31 + timedelta(days=90)  # CCPA: 45 more days
    with pytest.raises(ExtensionRefused):
        staff_queue.request_extend(
            request=ccpa, actor=staff, reason="And once more, please.", now=JAN_31
        )
    ccpa.refresh_from_db()
    assert ccpa.due_at == JAN_31 + timedelta(days=90)


@pytest.mark.commitment("RGT-09")
def test_transitions_follow_the_state_machine(alice: User, staff: User) -> None:
    request = correction(alice, jurisdiction=None, now=JAN_31)
    staff_queue.request_complete(request=request, actor=staff, resolution="Corrected.", now=JAN_31)

    with pytest.raises(InvalidTransition):
        staff_queue.request_start(request=request, actor=staff)
    stale = DataRequest.objects.get(pk=request.pk)
    stale.status = RequestStatus.IN_PROGRESS  # an old copy of the row
    with pytest.raises(InvalidTransition):
        staff_queue.request_reject(request=stale, actor=staff, reason="Too late.")
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.completed_at == JAN_31
    assert list(request.events.values_list("to_status", flat=True)) == [
        "received",
        "in_progress",
        "completed",
    ]


@pytest.mark.commitment("RGT-09")
def test_reminders_go_once_per_level_before_the_deadline(
    alice: User, staff_roles: None, jobs: object
) -> None:
    _, officer = staff_client(roles.PRIVACY_OFFICER, "paula")
    request = correction(alice, jurisdiction="default", now=JAN_31)  # due 2 March
    staff_queue.request_assign(request=request, assignee=officer, actor=officer)
    jobs()  # type: ignore[operator]
    mail.outbox.clear()

    def remind(at: datetime) -> int:
        sent = committed(lambda: staff_queue.reminders_send(now=at))
        jobs()  # type: ignore[operator]
        return sent  # type: ignore[return-value]

    assert remind(request.due_at - timedelta(days=8)) == 0
    assert remind(request.due_at - timedelta(days=7)) == 1
    assert remind(request.due_at - timedelta(days=6)) == 0  # level 7 was sent
    assert remind(request.due_at - timedelta(days=2)) == 1
    assert remind(request.due_at - timedelta(days=1)) == 0
    assert remind(request.due_at + timedelta(days=3)) == 0

    assert [m.to for m in mail.outbox] == [[officer.email], [officer.email]]
    assert "due in 7 days" in mail.outbox[0].subject
    assert request.reference in mail.outbox[1].subject and "due in 2 days" in mail.outbox[1].subject
    assert "alice" not in mail.outbox[0].body.lower()
    assert sorted(DataRequestReminder.objects.values_list("days_before", flat=True)) == [2, 7]


@pytest.mark.commitment("RGT-09")
def test_unassigned_requests_remind_the_privacy_inbox_and_an_extension_starts_again(
    alice: User, staff: User, jobs: object
) -> None:
    request = correction(alice, jurisdiction="gdpr", now=JAN_31)
    jobs()  # type: ignore[operator]
    mail.outbox.clear()
    first_due = request.due_at

    # A run that finds both levels passed at once sends one reminder, not two.
    assert committed(lambda: staff_queue.reminders_send(now=first_due - timedelta(days=1))) == 1
    jobs()  # type: ignore[operator]
    assert [m.to for m in mail.outbox] == [["privacy@roamwise.example"]]
    staff_queue.request_extend(
        request=request,
        actor=staff,
        reason="Archive restore needed.",
        now=first_due - timedelta(hours=20),
    )
    request.refresh_from_db()
    assert committed(lambda: staff_queue.reminders_send(now=first_due)) == 0
    assert (
        committed(lambda: staff_queue.reminders_send(now=request.due_at - timedelta(days=7))) == 1
    )


@pytest.mark.commitment("RGT-09")
def test_closed_and_unverified_requests_get_no_reminder(alice: User, staff: User) -> None:
    done = correction(alice, jurisdiction=None, now=JAN_31)
    staff_queue.request_complete(request=done, actor=staff, resolution="Fixed.", now=JAN_31)
    public.public_request_open(email="someone@example.org", kind="access", now=JAN_31)

    assert selectors.reminders_due(now=JAN_31 + timedelta(days=29)) == []


@pytest.mark.commitment("RGT-09")
def test_the_queue_filters_overdue_requests_and_counts_down(
    alice: User, bob: User, staff_roles: None
) -> None:
    officer, _ = staff_client(roles.PRIVACY_OFFICER, "paula")
    now = datetime.now(UTC)
    late = correction(alice, jurisdiction=None, now=now - timedelta(days=31))
    soon = correction(bob, jurisdiction=None, now=now - timedelta(days=27))

    overdue = officer.get("/admin/rights/datarequest/?deadline=overdue")
    week = officer.get("/admin/rights/datarequest/?deadline=week")
    failed = officer.get("/admin/rights/datarequest/?status__exact=failed")

    assert [r.pk for r in overdue.context["cl"].result_list] == [late.pk]
    assert [r.pk for r in week.context["cl"].result_list] == [soon.pk]
    assert list(failed.context["cl"].result_list) == []
    assert "overdue by 1 day" in overdue.content.decode()
    assert "due in 2 days" in week.content.decode()
    assert selectors.countdown(late, now=late.due_at - timedelta(hours=3)) == "due in 3 hours"
    assert [r.pk for r in selectors.overdue(now=now)] == [late.pk]
    assert DataRequest.objects.filter(requester_kind=RequesterKind.CUSTOMER).count() == 2
    assert soon.kind == RequestKind.CORRECTION


def test_a_signed_out_visitor_cannot_open_the_queue(client: Client) -> None:
    assert client.get("/admin/rights/datarequest/").status_code == 302

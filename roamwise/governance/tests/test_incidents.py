"""Breach response (SEC-06): the record, the affected customers found from the
data map, the regulator within 72 hours, and each affected customer told once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from roamwise.accounts.models import LoginEvent, User
from roamwise.audit import roles
from roamwise.core.errors import InvalidTransition
from roamwise.governance import incidents
from roamwise.governance.incidents import InvalidIncident
from roamwise.governance.models import AffectedSubject, Incident, IncidentStatus
from roamwise.governance.tasks import incident_notify_customers
from roamwise.kernel.disclosures import disclosure_record
from roamwise.notifications.models import Notification
from roamwise.testing.people import make_customer

from .helpers import back_office

BIRTH = "user.demographic.date_of_birth"
DETECTED = dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
SUBJECT = "[Roamwise] A security incident affected some of your data"


@pytest.fixture
def officer(db: None) -> User:
    # No profile: the officer holds no date of birth, so no scan finds them.
    return User.objects.create_user(username="officer", is_staff=True)


@pytest.fixture
def carol(db: None) -> User:
    """A customer with an account and an email address, but no profile."""
    return User.objects.create_user(username="carol", email="carol@example.com")


def record(
    officer: User, now: dt.datetime = DETECTED + dt.timedelta(hours=1), **changes: Any
) -> Incident:
    values: dict[str, Any] = {
        "title": "Profile table readable through a misconfigured replica",
        "detected_at": DETECTED,
        "reported_by": "Infrastructure on-call",
        "categories": [BIRTH],
        "description": "A database replica's profile table was reachable from the internet.",
        "systems": "Reporting replica",
        "containment_notes": "Replica taken offline; credentials rotated.",
        **changes,
    }
    return incidents.incident_create(actor=officer, now=now, **values)


@pytest.mark.commitment("SEC-06")
def test_affected_customers_are_found_by_category_from_the_data_map(
    officer: User, alice: User, bob: User, carol: User
) -> None:
    scan = incidents.affected_subjects_find(categories=[BIRTH])

    assert set(scan.subjects) == {alice.public_id, bob.public_id}
    assert carol.public_id not in scan.subjects  # no date of birth held
    assert scan.subjects[alice.public_id].categories == {BIRTH}
    assert scan.subjects[alice.public_id].records == 1
    assert [(h.model, h.categories, h.subjects, h.records) for h in scan.declarations] == [
        ("accounts.Profile", (BIRTH,), 2, 1 * 2)
    ]


@pytest.mark.commitment("SEC-06")
def test_a_parent_category_reaches_every_declaration_below_it(alice: User, carol: User) -> None:
    # user.contact covers email (alice and carol) and phone (alice's profile).
    scan = incidents.affected_subjects_find(categories=["user.contact"])

    assert set(scan.subjects) == {alice.public_id, carol.public_id}
    assert scan.subjects[alice.public_id].categories == {
        "user.contact.email",
        "user.contact.phone_number",
    }
    assert scan.subjects[carol.public_id].categories == {"user.contact.email"}
    models = {h.model for h in scan.declarations if h.subjects}
    assert {"accounts.User", "accounts.Profile", "account.EmailAddress"} <= models


@pytest.mark.commitment("SEC-06")
def test_rows_reached_through_a_function_and_a_time_window_and_models(
    alice: User, bob: User
) -> None:
    # governance.Disclosure finds its subject through a function, not a path.
    disclosure_record(
        subject_id=alice.public_id,
        recipient="payment",
        categories=["user.financial"],
        purpose="billing",
    )
    scan = incidents.affected_subjects_find(categories=["user.privacy.staff_access"])
    assert set(scan.subjects) == {alice.public_id}

    def sign_in(user: User, at: dt.datetime) -> None:
        LoginEvent.objects.create(
            user=user,
            created_at=at,
            browser_family="Firefox",
            os_family="Linux",
            device_type="desktop",
            country="FR",
        )

    sign_in(alice, DETECTED - dt.timedelta(days=3))
    sign_in(bob, DETECTED + dt.timedelta(hours=2))

    in_window = incidents.affected_subjects_find(
        categories=["user.location.imprecise"],
        since=DETECTED,
        until=DETECTED + dt.timedelta(days=1),
        models_only=["accounts.LoginEvent"],
    )
    whole = incidents.affected_subjects_find(
        categories=["user.location.imprecise"], models_only=["accounts.LoginEvent"]
    )

    assert set(in_window.subjects) == {bob.public_id}
    assert [(h.model, h.time_field) for h in in_window.declarations] == [
        ("accounts.LoginEvent", "created_at")
    ]
    assert set(whole.subjects) == {alice.public_id, bob.public_id}


@pytest.mark.commitment("SEC-06")
def test_the_scan_is_recorded_on_the_incident(
    officer: User, alice: User, bob: User, carol: User
) -> None:
    incident = record(officer)

    incidents.incident_affected_scan(incident_id=incident.pk, actor=officer)
    incident.refresh_from_db()

    assert set(AffectedSubject.objects.values_list("subject_id", flat=True)) == {
        alice.public_id,
        bob.public_id,
    }
    assert (incident.affected_subjects_count, incident.affected_records_count) == (2, 2)
    assert incident.affected_scanned_at is not None
    assert "2 customers, 2 records" in incident.events.last().note  # type: ignore[union-attr]


@pytest.mark.commitment("SEC-06")
def test_the_72_hour_deadline_counts_down_and_turns_overdue(officer: User) -> None:
    incident = record(officer)

    early = incidents.incident_deadline(
        incident=incident, now=DETECTED + dt.timedelta(hours=30, minutes=30)
    )
    late = incidents.incident_deadline(incident=incident, now=DETECTED + dt.timedelta(hours=75))

    assert early.due_at == dt.datetime(2025, 3, 13, 8, 0, tzinfo=dt.UTC)
    assert early.remaining == dt.timedelta(hours=41, minutes=30)
    assert (early.overdue, early.label) == (False, "41 h 30 min left")
    assert (late.overdue, late.label) == (True, "Overdue by 3 h 00 min")

    incidents.incident_notice_save(incident=incident, actor=officer, text="Notice")
    incidents.incident_regulator_notified(
        incident=incident, actor=officer, at=DETECTED + dt.timedelta(hours=20)
    )
    after = incidents.incident_deadline(incident=incident, now=DETECTED + dt.timedelta(hours=75))
    assert (after.overdue, after.met, after.label) == (False, True, "Regulator notified in time")


@pytest.mark.commitment("SEC-06")
def test_the_back_office_shows_the_countdown_and_overdue(officer: User) -> None:
    roles.ensure_roles()
    client, _ = back_office(roles.PRIVACY_OFFICER, "paula")
    now = timezone.now()
    # 30 seconds of slack so that the minute shown cannot tick over mid-test.
    running = record(
        officer, now=now, detected_at=now - dt.timedelta(hours=30, minutes=30, seconds=30)
    )
    overdue = record(officer, now=now, detected_at=now - dt.timedelta(hours=75, seconds=30))

    page = client.get(f"/admin/governance/incident/{running.pk}/change/").content.decode()
    late = client.get(f"/admin/governance/incident/{overdue.pk}/change/").content.decode()
    listing = client.get("/admin/governance/incident/").content.decode()

    assert "41 h 29 min left" in page
    assert f'data-deadline="{running.regulator_deadline.isoformat()}"' in page
    assert "governance/countdown.js" in page
    assert "Overdue by 3 h 00 min" in late
    assert "deadline-overdue" in late
    assert "41 h 29 min left" in listing and "Overdue by 3 h 00 min" in listing
    assert "<script>" not in page and "style=" not in page


@pytest.mark.commitment("SEC-06")
def test_the_regulator_notice_is_drafted_from_the_incident(
    officer: User, alice: User, bob: User
) -> None:
    incident = record(officer)
    incidents.incident_affected_scan(incident_id=incident.pk)
    incident.refresh_from_db()

    draft = incidents.incident_notice_draft(incident=incident, now=DETECTED + dt.timedelta(hours=5))
    late = incidents.incident_notice_draft(incident=incident, now=DETECTED + dt.timedelta(hours=73))

    assert f"To: {settings.SUPERVISORY_AUTHORITY_NAME}" in draft
    assert f"Our reference: {incident.reference}" in draft
    assert "A database replica's profile table was reachable from the internet." in draft
    assert "Systems involved: Reporting replica" in draft
    assert "- Date of birth\n" in draft
    assert "Approximate number of data subjects concerned: 2 customers." in draft
    assert "Approximate number of personal data records concerned: 2." in draft
    assert "- Identity fraud combining your date of birth with other details." in draft
    assert "Replica taken offline; credentials rotated." in draft
    assert settings.PRIVACY_EMAIL in draft and settings.PRIVACY_PHONE in draft
    assert "Reasons for the delay" not in draft
    assert "Reasons for the delay" in late
    assert "&#x27;" not in draft  # plain text, not HTML-escaped


@pytest.mark.commitment("SEC-06")
def test_before_the_scan_the_notice_says_numbers_are_not_yet_known(officer: User) -> None:
    incident = record(officer, consequences="Staff-written consequences.")

    draft = incidents.incident_notice_draft(incident=incident, now=DETECTED)

    assert "Not yet established" in draft
    assert "- Staff-written consequences.\n" in draft


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("SEC-06")
def test_each_affected_customer_is_told_once_and_no_one_else(
    officer: User, alice: User, bob: User, carol: User, jobs: Any
) -> None:
    incident = record(officer)
    with pytest.raises(InvalidIncident, match="Find the affected customers first"):
        incidents.incident_customers_notify(incident=incident, actor=officer)
    incidents.incident_affected_scan(incident_id=incident.pk)
    mail.outbox.clear()

    assert incidents.incident_customers_notify(incident=incident, actor=officer) == 2
    jobs()

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert {m.subject for m in mail.outbox} == {SUBJECT}
    body = mail.outbox[0].body
    assert incident.reference in body
    assert "- Date of birth\n" in body
    assert "Be wary of anyone asking you to confirm personal details." in body
    assert "Replica taken offline; credentials rotated." in body
    assert settings.PRIVACY_EMAIL in body
    incident.refresh_from_db()
    assert incident.customers_notified_count == 2
    assert incident.customers_notified_at is not None
    assert not AffectedSubject.objects.filter(notified_at__isnull=True).exists()

    # Re-running the job, or asking again, tells no one twice.
    incident_notify_customers(incident.pk)
    jobs()
    with pytest.raises(InvalidIncident, match="Every affected customer has been told"):
        incidents.incident_customers_notify(incident=incident, actor=officer)
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind="security").count() == 2

    # A customer found by a later scan is told; the others are not told again.
    dave = make_customer("dave")
    incidents.incident_affected_scan(incident_id=incident.pk)
    assert incidents.incident_customers_notify(incident=incident, actor=officer) == 1
    jobs()
    assert [m.to[0] for m in mail.outbox[2:]] == ["dave@example.com"]
    incident.refresh_from_db()
    assert incident.customers_notified_count == 3
    assert dave.public_id in set(AffectedSubject.objects.values_list("subject_id", flat=True))


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("SEC-06")
def test_the_breach_flow_end_to_end_in_the_back_office(
    alice: User, bob: User, carol: User, jobs: Any
) -> None:
    roles.ensure_roles()
    client, member = back_office(roles.PRIVACY_OFFICER, "paula")
    # The officer has a profile too (staff are data subjects); keep them out of it.
    member.profile.delete()
    detected = timezone.localtime() - dt.timedelta(hours=2)

    created = client.post(
        "/admin/governance/incident/add/",
        {
            "title": "Lost laptop with a profile export",
            "detected_at": detected.strftime("%Y-%m-%dT%H:%M"),
            "reported_by": "Support team",
            "categories": [BIRTH],
            "description": "An unencrypted export of profiles was on a lost laptop.",
            "containment_notes": "Remote wipe sent; exports now encrypted.",
        },
    )
    incident = Incident.objects.get()
    url = f"/admin/governance/incident/{incident.pk}/change/"
    assert created.status_code == 302

    client.post(url, {"action": "scan"})
    jobs()
    page = client.get(url).content.decode()
    assert str(alice.public_id) in page and str(bob.public_id) in page
    assert str(carol.public_id) not in page
    assert "Approximate number of data subjects concerned: 2 customers." in page

    edited = "Edited notice for the regulator."
    client.post(url, {"action": "notice_save", "notice-text": edited})
    client.post(url, {"action": "regulator_notified"})
    mail.outbox.clear()
    client.post(url, {"action": "notify_customers"})
    jobs()
    client.post(url, {"action": "status", "to_status": "contained"})
    incident.refresh_from_db()

    assert incident.regulator_notice == edited + "\n"
    assert incident.regulator_notified_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert incident.customers_notified_count == 2
    assert incident.status == IncidentStatus.CONTAINED
    notes = list(incident.events.values_list("note", flat=True))
    assert notes[0] == "recorded"
    assert any(n.startswith("regulator notified") for n in notes)
    assert any(n == "notice to 2 affected customers queued" for n in notes)


@pytest.mark.commitment("SEC-06")
def test_staff_without_the_permission_cannot_open_or_notify(officer: User, alice: User) -> None:
    roles.ensure_roles()
    incident = record(officer)
    incidents.incident_affected_scan(incident_id=incident.pk)
    client, _ = back_office(roles.BILLING, "bill")
    url = f"/admin/governance/incident/{incident.pk}/change/"

    assert client.get("/admin/governance/incident/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "notify_customers"}).status_code == 403
    incident.refresh_from_db()
    assert incident.customers_notified_at is None


def test_incident_states_and_input_are_checked(officer: User) -> None:
    with pytest.raises(InvalidIncident, match="Unknown data categories"):
        record(officer, categories=["user.nothing"])
    with pytest.raises(InvalidIncident, match="not in the data map"):
        record(officer, scan_models=["orders.Nothing"])
    with pytest.raises(InvalidIncident, match="start before it ends"):
        record(officer, window_start=DETECTED, window_end=DETECTED - dt.timedelta(days=1))
    incident = record(officer)
    incidents.incident_transition(incident=incident, to_status="closed", actor=officer)
    with pytest.raises(InvalidTransition):
        incidents.incident_transition(incident=incident, to_status="open", actor=officer)
    with pytest.raises(InvalidIncident, match="Save the notice"):
        incidents.incident_regulator_notified(incident=incident, actor=officer)
    assert Incident.objects.count() == 1


@pytest.mark.commitment("SEC-06")
def test_staff_are_reminded_48_24_and_6_hours_before_the_regulator_deadline(
    jobs: Any,
) -> None:
    owner = User.objects.create_user(
        username="owner", email="owner@roamwise.example", is_staff=True
    )
    incident = record(owner)
    notified = record(owner, title="A second incident, reported to the regulator at once")
    incidents.incident_notice_save(incident=notified, actor=owner, text="Our notice.")
    incidents.incident_regulator_notified(
        incident=notified, actor=owner, at=DETECTED + dt.timedelta(hours=2)
    )
    deadline = incident.regulator_deadline
    jobs()
    mail.outbox.clear()

    def remind(before: dt.timedelta) -> list[tuple[str, str]]:
        """Run the job at ``before`` the deadline; the messages it sent."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            incidents.incident_reminders_send(now=deadline - before)
        jobs()
        sent = sorted((m.to[0], m.subject) for m in mail.outbox)
        mail.outbox.clear()
        return sent

    def told(left: str) -> list[tuple[str, str]]:
        subject = f"[Roamwise] Incident {incident.reference}: regulator notice due, {left} left"
        return [("owner@roamwise.example", subject), (settings.PRIVACY_EMAIL, subject)]

    assert remind(dt.timedelta(hours=49)) == []
    assert remind(dt.timedelta(hours=48)) == told("48 h 00 min")
    assert remind(dt.timedelta(hours=30)) == []  # once per level
    assert remind(dt.timedelta(hours=23, minutes=50)) == told("23 h 50 min")
    assert remind(dt.timedelta(hours=23)) == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        incidents.incident_reminders_send(now=deadline - dt.timedelta(hours=5, minutes=59))
    jobs()
    body = next(m.body for m in mail.outbox if m.to == ["owner@roamwise.example"])
    assert "Information Commissioner's Office" in body  # plain text, not HTML-escaped
    assert f"/admin/governance/incident/{incident.pk}/change/" in body
    mail.outbox.clear()
    assert remind(dt.timedelta(hours=1)) == []
    assert remind(-dt.timedelta(hours=1)) == []  # every level sent: nothing more
    assert set(incident.reminders.values_list("hours_before", flat=True)) == {48, 24, 6}
    assert not notified.reminders.exists()  # the regulator was told: nobody is reminded


@pytest.mark.commitment("SEC-06")
def test_an_incident_recorded_late_gets_one_reminder_and_the_job_is_scheduled(
    jobs: Any,
) -> None:
    from huey.contrib.djhuey import HUEY

    owner = User.objects.create_user(
        username="owner", email="owner@roamwise.example", is_staff=True
    )
    incident = record(owner, now=DETECTED + dt.timedelta(hours=60))
    jobs()
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert incidents.incident_reminders_send(now=DETECTED + dt.timedelta(hours=60)) == 1
        assert incidents.incident_reminders_send(now=DETECTED + dt.timedelta(hours=61)) == 0
    jobs()

    assert len(mail.outbox) == 2  # the owner and the privacy officer, once
    assert set(incident.reminders.values_list("hours_before", flat=True)) == {48, 24}
    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert "incident_deadline_reminders" in names

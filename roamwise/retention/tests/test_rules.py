"""Every retention rule of the data map, with time frozen just before and just
after its period (RET-06): what is due goes (or is anonymised), what is not
stays, and the run says how many."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.usersessions.models import UserSession
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from roamwise.accounts.models import LoginEvent, User
from roamwise.accounts.services import login_record
from roamwise.analytics.services import event_record
from roamwise.audit.selectors import verify_chain
from roamwise.audit.services import Access, access_record
from roamwise.catalog.models import Plan
from roamwise.consent.models import ConsentRecord
from roamwise.datamap.registry import data_map
from roamwise.kernel.disclosures import disclosure_record
from roamwise.notifications.models import Notification, OutboundEmail
from roamwise.orders.models import Fulfilment, OrderEvent, Refund
from roamwise.payments.models import Payment
from roamwise.retention.services import legal_hold_place, legal_hold_release
from roamwise.retention.sweeps import retention_rules
from roamwise.support.services import ticket_open
from roamwise.testing.lines import ICCID_PREFIX, esim_on_line, iccid, record
from roamwise.testing.shopping import paid_order
from roamwise.usage import services as usage

from .conftest import counts, sweep

MINUTE = timedelta(minutes=1)


@dataclass
class World:
    alice: User
    staff: User
    request: pytest.FixtureRequest

    @property
    def plan(self) -> Plan:
        # Loading the catalogue takes seconds: only for the rules that need it.
        plan: Plan = self.request.getfixturevalue("plan")
        return plan


@dataclass(frozen=True)
class Row:
    model: type[models.Model]
    pk: Any
    anchor: datetime


def _login_event(w: World) -> Row:
    event = login_record(user=w.alice, user_agent="Mozilla/5.0 Firefox/120.0", ip="81.56.0.1")
    return Row(LoginEvent, event.pk, event.created_at)


def _email_confirmation(w: World) -> Row:
    address = EmailAddress.objects.get(user=w.alice)
    confirmation = EmailConfirmation.objects.create(
        email_address=address, key="k" * 20, created=timezone.now()
    )
    return Row(EmailConfirmation, confirmation.pk, confirmation.created)


def _user_session(w: World) -> Row:
    session = UserSession.objects.create(
        user=w.alice, ip="81.56.0.1", session_key="s" * 32, user_agent="Firefox"
    )
    return Row(UserSession, session.pk, session.last_seen_at)


def _session(w: World) -> Row:
    session = Session.objects.create(
        session_key="a" * 32,
        session_data="e30:1:x",
        expire_date=timezone.now() + timedelta(days=14),
    )
    return Row(Session, session.pk, session.expire_date)


def _log_entry(w: World) -> Row:
    entry = LogEntry.objects.create(
        user=w.staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(w.alice.pk),
        object_repr="alice",
        action_flag=CHANGE,
        change_message="[]",
    )
    return Row(LogEntry, entry.pk, entry.action_time)


def _consent_record(w: World) -> Row:
    consent = ConsentRecord.objects.create(
        user=w.alice, purpose="analytics", granted=True, source="banner", policy_version="1"
    )
    return Row(ConsentRecord, consent.pk, consent.created_at)


def _notification(w: World) -> Notification:
    return Notification.objects.create(
        user=w.alice, key_subject=w.alice.public_id, kind="test", template="t", title="Hello"
    )


def _notification_row(w: World) -> Row:
    notification = _notification(w)
    return Row(Notification, notification.pk, notification.created_at)


def _outbound_email(w: World) -> Row:
    email = OutboundEmail.objects.create(
        notification=_notification(w),
        kind="test",
        template="t",
        key_subject=w.alice.public_id,
        recipient=w.alice.email,
        subject_line="Hello",
    )
    return Row(OutboundEmail, email.pk, email.created_at)


def _campaign_recipient(w: World) -> Row:
    from roamwise.notifications.models import Campaign, CampaignRecipient

    recipient = CampaignRecipient.objects.create(
        campaign=Campaign.objects.create(name="Asia week"),
        user=w.alice,
        language="en",
        sent_at=timezone.now(),
    )
    return Row(CampaignRecipient, recipient.pk, recipient.sent_at)


def _campaign_event(w: World) -> Row:
    from roamwise.notifications.models import Campaign, CampaignEvent

    event = CampaignEvent.objects.create(
        campaign=Campaign.objects.create(name="Asia week"), actor=w.staff, to_status="sending"
    )
    return Row(CampaignEvent, event.pk, event.created_at)


def _disclosure(w: World) -> Row:
    disclosure = disclosure_record(
        subject_id=w.alice.public_id,
        recipient="payment",
        categories=["user.financial"],
        purpose="billing",
    )
    return Row(type(disclosure), disclosure.pk, disclosure.occurred_at)


def _released_hold(w: World) -> Row:
    hold = legal_hold_place(subject_id=w.alice.public_id, kind="legal_request", reason="Court")
    hold = legal_hold_release(hold=hold)
    assert hold.released_at is not None
    return Row(type(hold), hold.pk, hold.released_at)


def _access_event(w: World) -> Row:
    event = access_record(
        Access(
            actor=w.staff,
            subject=w.alice,
            obj=w.alice,
            fields=("email",),
            action="view",
            reason="Ticket 7",
        )
    )
    return Row(type(event), event.pk, event.occurred_at)


def _analytics_event(w: World) -> Row:
    event = event_record(subject="v:visitor", kind="pageview", path="/")
    return Row(type(event), event.pk, event.created_at)


def _payment(w: World) -> Row:
    payment = paid_order(w.alice, w.plan).payments.get()
    return Row(Payment, payment.pk, payment.created_at)


def _refund(w: World) -> Row:
    order = paid_order(w.alice, w.plan)
    refund = Refund.objects.create(
        order=order,
        amount=order.total,
        currency=order.currency,
        status=Refund.Status.SUCCEEDED,
        reason="trip cancelled",
        requested_by="customer",
    )
    return Row(Refund, refund.pk, refund.created_at)


def _ticket(w: World) -> Row:
    ticket = ticket_open(customer=w.alice, category="question", title="Roaming?", body="Help")
    ticket.refresh_from_db()
    return Row(type(ticket), ticket.pk, ticket.updated_at)


def _ticket_message(w: World) -> Row:
    ticket = ticket_open(customer=w.alice, category="question", title="Roaming?", body="Help")
    ticket.refresh_from_db()
    return Row(type(ticket.messages.get()), ticket.messages.get().pk, ticket.updated_at)


def _usage_record(w: World) -> Row:
    partner, _ = usage.partner_create(code="orange", name="Orange", iccid_prefixes=ICCID_PREFIX)
    esim_on_line(w.alice, w.plan, iccid(1))
    usage.usage_ingest_batch(partner=partner, raw_records=[record("r1", iccid(1), hours_ago=3)])
    from roamwise.usage.models import UsageRecord

    row = UsageRecord.objects.get()
    return Row(UsageRecord, row.pk, row.session_start)


def _usage_key(w: World) -> Row:
    _usage_record(w)
    from roamwise.usage.models import UsageRecordKey

    key = UsageRecordKey.objects.get()
    return Row(UsageRecordKey, key.pk, key.session_start)


def _legal_request(w: World) -> Row:
    from roamwise.governance.legal_requests import legal_request_create
    from roamwise.governance.models import LegalRequest

    request = legal_request_create(
        kind=LegalRequest.Kind.values[0],
        authority="Metropolitan Police",
        received_at=timezone.now(),
        legal_basis_cited="Investigatory Powers Act 2016",
        scope="Subscriber details of one line",
        actor=w.staff,
    )
    return Row(LegalRequest, request.pk, request.received_at)


def _legal_request_event(w: World) -> Row:
    from roamwise.governance.models import LegalRequestEvent

    event = LegalRequestEvent.objects.get(request_id=_legal_request(w).pk)
    return Row(LegalRequestEvent, event.pk, event.created_at)


def _legal_request_subject(w: World) -> Row:
    from roamwise.governance.models import LegalRequestSubject

    subject = LegalRequestSubject.objects.create(
        request_id=_legal_request(w).pk, subject_id=w.alice.public_id
    )
    return Row(LegalRequestSubject, subject.pk, subject.created_at)


def _incident(w: World) -> Any:
    from roamwise.governance.incidents import incident_create

    return incident_create(
        actor=w.staff,
        title="Lost laptop",
        detected_at=timezone.now(),
        reported_by="IT",
        categories=["user.contact.email"],
        description="A laptop with an export was lost.",
    )


def _incident_event(w: World) -> Row:
    from roamwise.governance.models import IncidentEvent

    event = IncidentEvent.objects.filter(incident=_incident(w)).earliest("pk")
    return Row(IncidentEvent, event.pk, event.created_at)


def _affected_subject(w: World) -> Row:
    from roamwise.governance.models import AffectedSubject

    affected = AffectedSubject.objects.create(incident=_incident(w), subject_id=w.alice.public_id)
    return Row(AffectedSubject, affected.pk, affected.created_at)


def _data_request(w: World) -> Any:
    from roamwise.rights.services.customer import access_request_self

    return access_request_self(user=w.alice)


def _data_request_row(w: World) -> Row:
    request = _data_request(w)
    return Row(type(request), request.pk, request.created_at)


def _data_request_event(w: World) -> Row:
    request = _data_request(w)
    event = request.events.earliest("pk")
    request.events.exclude(pk=event.pk).delete()  # one row to follow
    return Row(type(event), event.pk, event.created_at)


def _data_request_file(w: World) -> Row:
    from roamwise.rights.evidence import Upload
    from roamwise.rights.models import DataRequestFile
    from roamwise.rights.services.customer import correction_request

    request = correction_request(
        user=w.alice,
        fields=["accounts.Profile.date_of_birth"],
        details="My date of birth is 17 May 1991.",
        uploads=[Upload(filename="passport.txt", content_type="text/plain", content=b"P<GBR")],
    )
    evidence = DataRequestFile.objects.get(request=request)
    return Row(DataRequestFile, evidence.pk, evidence.created_at)


def _price_run(w: World) -> Row:
    from roamwise.pricing.models import PriceRun

    run = PriceRun.objects.create(kind=PriceRun.Kind.RULES, reason="Summer prices", actor=w.staff)
    return Row(PriceRun, run.pk, run.created_at)


def _security_record(w: World, record: Any) -> Row:
    from roamwise.governance.security import security_record_save

    saved = security_record_save(actor=w.staff, record=record, changed=())
    return Row(type(saved), saved.pk, saved.updated_at)


def _security_role(w: World) -> Row:
    from roamwise.governance.models import SecurityRole

    role = SecurityRole(
        title="Information security officer", holder=w.staff, since=date(2025, 1, 6)
    )
    return _security_record(w, role)


def _staff_training(w: World) -> Row:
    from roamwise.governance.models import StaffTraining

    training = StaffTraining(
        staff=w.staff,
        course="Handling personal data",
        completed_on=date(2025, 2, 3),
        next_due_on=date(2026, 2, 3),
    )
    return _security_record(w, training)


def _risk_assessment(w: World) -> Row:
    from roamwise.governance.models import RiskAssessment, RiskLevel

    assessment = RiskAssessment(
        processing_activity="eSIM provisioning",
        risk_level=RiskLevel.MEDIUM,
        measures="Mutual TLS to the SM-DP+; activation codes encrypted at rest.",
        owner=w.staff,
        reviewed_on=date(2025, 3, 3),
        next_review_on=date(2026, 3, 3),
    )
    return _security_record(w, assessment)


DELETED: dict[str, Callable[[World], Row]] = {
    "accounts.LoginEvent": _login_event,
    "account.EmailConfirmation": _email_confirmation,
    "usersessions.UserSession": _user_session,
    "sessions.Session": _session,
    "admin.LogEntry": _log_entry,
    "consent.ConsentRecord": _consent_record,
    "notifications.Notification": _notification_row,
    "notifications.OutboundEmail": _outbound_email,
    "notifications.CampaignRecipient": _campaign_recipient,
    "notifications.CampaignEvent": _campaign_event,
    "governance.Disclosure": _disclosure,
    "retention.LegalHold": _released_hold,
    "pricing.PriceRun": _price_run,
    "audit.AccessEvent": _access_event,
    "analytics.Event": _analytics_event,
    "payments.Payment": _payment,
    "orders.Refund": _refund,
    "support.Ticket": _ticket,
    "support.TicketMessage": _ticket_message,
    "usage.UsageRecord": _usage_record,
    "usage.UsageRecordKey": _usage_key,
    "governance.LegalRequest": _legal_request,
    "governance.LegalRequestEvent": _legal_request_event,
    "governance.LegalRequestSubject": _legal_request_subject,
    "governance.IncidentEvent": _incident_event,
    "governance.AffectedSubject": _affected_subject,
    "rights.DataRequest": _data_request_row,
    "rights.DataRequestEvent": _data_request_event,
    "rights.DataRequestFile": _data_request_file,
    "governance.SecurityRole": _security_role,
    "governance.StaffTraining": _staff_training,
    "governance.RiskAssessment": _risk_assessment,
}


@pytest.fixture
def world(alice: User, staff: User, request: pytest.FixtureRequest) -> World:
    return World(alice, staff, request)


def _period(model: str) -> timedelta:
    period = data_map.declarations[model.lower()].retention.period
    assert period is not None
    return period


@pytest.mark.commitment("RET-06")
@pytest.mark.parametrize("model", sorted(DELETED))
def test_a_row_is_kept_until_its_period_ends_then_deleted(model: str, world: World) -> None:
    row = DELETED[model](world)
    due = row.anchor + _period(model)

    before = sweep(model, now=due - MINUTE)

    assert row.model._default_manager.filter(pk=row.pk).exists()
    assert counts(before, model) == (0, 0, 0)

    after = sweep(model, now=due + MINUTE)

    assert not row.model._default_manager.filter(pk=row.pk).exists()
    assert counts(after, model) == (1, 0, 0)
    again = sweep(model, now=due + MINUTE)
    assert counts(again, model) == (0, 0, 0)  # idempotent


def test_every_declared_rule_is_covered_by_these_tests() -> None:
    """A new rule in the data map needs a case here (or its own test)."""
    own_tests = {
        "accounts.User",  # closed accounts: test_closed_accounts
        "accounts.ParentalConsent",  # test_commitments: a parent who never answers
        "orders.Order",  # billing: test_billing
        "orders.OrderEvent",
        "orders.Invoice",
        "orders.Fulfilment",
        "promotions.PromotionUse",  # with its order: rights/tests/test_promotion_uses.py
        "support.TicketAttachment",  # test_support
        "support.TicketEvent",
        "vault.Tombstone",  # kept for good: roamwise/rights/tests/test_tombstones.py
    }
    assert {rule.model for rule in retention_rules()} == set(DELETED) | own_tests


@pytest.mark.commitment("RET-06")
def test_the_access_log_loses_its_oldest_events_and_still_verifies(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from roamwise.audit import services as audit
    from roamwise.audit.models import AccessEvent, ChainHead

    an_hour_ago = timezone.now() - timedelta(hours=1)
    with monkeypatch.context() as frozen:
        frozen.setattr(audit.timezone, "now", lambda: an_hour_ago)
        old = _access_event(world)
    newer = _access_event(world)
    # The first event is past its 6 years at this moment, the second is not.
    moment = old.anchor + _period("audit.AccessEvent") + MINUTE

    run = sweep("audit.AccessEvent", now=moment)

    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [newer.pk]
    assert counts(run, "audit.AccessEvent") == (1, 0, 0)
    assert list(verify_chain()) == []
    # Cutting more from the start, without the chain key, is noticed.
    newest = AccessEvent.objects.get()
    ChainHead.objects.filter(pk=1).update(start_after_id=newest.pk, start_hash=newest.hash)
    AccessEvent.objects.filter(pk=newest.pk)._raw_delete("default")
    problems = [p.problem for p in verify_chain()]
    assert problems[0] == "the chain's starting point was altered: its seal is wrong"


def test_a_keep_rule_never_deletes(world: World) -> None:
    order = paid_order(world.alice, world.plan)
    run = sweep("orders.Fulfilment", now=timezone.now() + timedelta(days=100 * 365))
    assert Fulfilment.objects.filter(order=order).exists()
    assert counts(run, "orders.Fulfilment") == (0, 0, 0)
    assert run.rules.get().action == "keep"


def test_order_events_are_anonymised_after_seven_years(world: World) -> None:
    order = paid_order(world.alice, world.plan)
    first = OrderEvent.objects.filter(order=order).order_by("pk").first()
    assert first is not None and first.actor == "customer"
    due = first.created_at + _period("orders.OrderEvent")

    sweep("orders.OrderEvent", now=due - MINUTE)
    first.refresh_from_db()
    assert first.actor == "customer"

    run = sweep("orders.OrderEvent", now=due + MINUTE)
    first.refresh_from_db()
    assert (first.actor, first.note) == ("", "")
    assert counts(run, "orders.OrderEvent")[1] == OrderEvent.objects.filter(order=order).count()
    assert OrderEvent.objects.filter(order=order).exclude(actor="").count() == 0

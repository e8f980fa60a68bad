"""The retention commitments, each through the sweep: closed accounts (RET-01),
billing (RET-03), analytics (RET-04), support (RET-05)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.utils import timezone

from roamwise.accounts.models import AccountClosure, ParentalConsent, Profile, User
from roamwise.accounts.services import account_close, parental_consent_request
from roamwise.analytics.models import DailyCount, Event
from roamwise.analytics.services import event_record
from roamwise.catalog.models import Plan
from roamwise.orders.models import Invoice, Order, OrderEvent, Refund
from roamwise.orders.privacy import BILLING_PERIOD
from roamwise.payments.models import Payment
from roamwise.retention import sweeps
from roamwise.retention.services import legal_hold_place, legal_hold_release
from roamwise.support.attachments import Upload
from roamwise.support.models import Ticket, TicketAttachment, TicketEvent, TicketMessage
from roamwise.support.services import message_post_customer, ticket_open, ticket_open_visitor
from roamwise.testing.helpers import PNG, rows_containing
from roamwise.testing.people import PASSWORD, make_customer
from roamwise.testing.shopping import paid_order
from roamwise.vault.fields import retention_subject
from roamwise.vault.models import DataKey, Tombstone
from roamwise.vault.router import VAULT_DB

from .conftest import counts, sweep

MINUTE = timedelta(minutes=1)
SUPPORT_RULES = (
    "support.Ticket",
    "support.TicketMessage",
    "support.TicketAttachment",
    "support.TicketEvent",
)
BILLING_RULES = (
    "orders.Order",
    "orders.OrderEvent",
    "orders.Invoice",
    "orders.Refund",
    "orders.Fulfilment",
    "payments.Payment",
)


# --- RET-01: closed accounts ---------------------------------------------------


@pytest.mark.commitment("RET-01")
@pytest.mark.commitment("ACC-05")
def test_a_closed_account_is_erased_30_days_after_closure_and_not_before(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    erased: list[tuple[str, str]] = []
    real_erase = sweeps.erase_subject

    def spy(*, user: User, reason: str) -> object:
        erased.append((user.username, reason))
        return real_erase(user=user, reason=reason)

    monkeypatch.setattr(sweeps, "erase_subject", spy)
    closure = account_close(user=alice)
    assert settings.ACCOUNT_DELETION_GRACE_DAYS == 30
    assert closure.delete_after == closure.closed_at + timedelta(days=30)

    before = sweep("accounts.User", now=closure.delete_after - MINUTE)

    assert User.objects.filter(pk=alice.pk).exists()
    assert erased == []
    assert counts(before, "accounts.User") == (0, 0, 0)

    after = sweep("accounts.User", now=closure.delete_after + MINUTE)

    assert erased == [("alice", "Account closed: its grace period has ended")]
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Profile.objects.filter(user_id=alice.pk).exists()
    assert not DataKey.objects.filter(subject_id=alice.public_id).exists()
    assert User.objects.filter(pk=bob.pk).exists()  # never closed
    assert counts(after, "accounts.User") == (1, 0, 0)
    assert after.rules.get(model="accounts.User").action == "erase"


@pytest.mark.commitment("RET-01")
@pytest.mark.commitment("RET-07")
def test_a_closed_account_under_a_legal_hold_waits_for_its_release(alice: User) -> None:
    closure = account_close(user=alice)
    hold = legal_hold_place(
        subject_id=alice.public_id, kind="legal_request", reason="Police request 12/2026"
    )
    later = closure.delete_after + timedelta(days=1)

    run = sweep("accounts.User", now=later)

    assert User.objects.filter(pk=alice.pk).exists()
    assert AccountClosure.objects.filter(user=alice).exists()
    assert counts(run, "accounts.User") == (0, 0, 1)

    legal_hold_release(hold=hold)
    run = sweep("accounts.User", now=later)

    assert not User.objects.filter(pk=alice.pk).exists()
    assert counts(run, "accounts.User") == (1, 0, 0)


# --- CHD-02: a minor whose parent never answers ---------------------------------------


@pytest.mark.commitment("CHD-02")
def test_a_minor_whose_parent_never_answers_is_erased_when_the_link_expires(
    client: Client, jobs: Callable[[], int]
) -> None:
    born = timezone.localdate().replace(year=timezone.localdate().year - 16) - timedelta(days=3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "username": "quokka16",
                "email": "quokka16@example.com",
                "phone": "+44 7911 123456",
                "date_of_birth": born.isoformat(),
                "parent_email": "parent@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    jobs()
    child = User.objects.get(username="quokka16")
    consent = ParentalConsent.objects.get(child=child)
    assert settings.PARENTAL_CONSENT_DAYS == 14
    bob = make_customer("bob")  # an adult, never concerned

    before = sweep("accounts.ParentalConsent", now=consent.expires_at - MINUTE)

    assert User.objects.filter(pk=child.pk).exists()
    assert counts(before, "accounts.ParentalConsent") == (0, 0, 0)

    after = sweep("accounts.ParentalConsent", now=consent.expires_at + MINUTE)

    assert not User.objects.filter(pk=child.pk).exists()
    assert not Profile.objects.filter(user_id=child.pk).exists()
    assert not ParentalConsent.objects.exists()
    assert not DataKey.objects.filter(subject_id=child.public_id).exists()
    for trace in ("quokka16@example.com", "parent@example.org", "+447911123456", "quokka16"):
        assert rows_containing(trace) == [], trace
    assert Tombstone.objects.using(VAULT_DB).filter(subject_id=child.public_id).exists()
    assert counts(after, "accounts.ParentalConsent") == (1, 0, 0)
    assert after.rules.get(model="accounts.ParentalConsent").action == "erase"
    assert User.objects.filter(pk=bob.pk).exists()
    again = sweep("accounts.ParentalConsent", now=consent.expires_at + MINUTE)
    assert counts(again, "accounts.ParentalConsent") == (0, 0, 0)


@pytest.mark.commitment("CHD-02")
def test_a_minor_whose_parent_consented_is_never_swept(alice: User) -> None:
    consent = parental_consent_request(child=alice, parent_email="parent@example.org")
    ParentalConsent.objects.filter(pk=consent.pk).update(
        status=ParentalConsent.Status.GRANTED, decided_at=timezone.now()
    )

    run = sweep("accounts.ParentalConsent", now=consent.expires_at + timedelta(days=400))

    assert User.objects.filter(pk=alice.pk).exists()
    assert counts(run, "accounts.ParentalConsent") == (0, 0, 0)


# --- RET-03: billing -------------------------------------------------------------


@pytest.mark.commitment("RET-03")
def test_billing_records_are_kept_seven_years(alice: User, plan: Plan) -> None:
    order = paid_order(alice, plan)
    Refund.objects.create(
        order=order,
        amount=order.total,
        currency=order.currency,
        status=Refund.Status.SUCCEEDED,
        reason="trip cancelled",
        requested_by="customer",
    )
    assert timedelta(days=7 * 365 + 1) <= BILLING_PERIOD  # seven calendar years, leap days
    due = order.created_at + BILLING_PERIOD

    run = sweep(*BILLING_RULES, now=due - MINUTE)

    order.refresh_from_db()
    assert order.billing_name == "Alice Example"
    assert order.contact_phone == "+33612345678"
    assert Payment.objects.filter(order=order).count() == 1
    assert Refund.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, actor="customer").exists()
    assert Invoice.objects.filter(order=order).exists()
    assert all(rule.deleted == rule.anonymised == 0 for rule in run.rules.all())

    run = sweep(*BILLING_RULES, now=due + MINUTE)

    order = Order.objects.get(pk=order.pk)
    assert (order.billing_name, order.billing_address, order.contact_phone) == ("", None, "")
    assert order.total > 0 and order.status  # the order stays in the account's history
    assert not Payment.objects.filter(order=order).exists()
    assert not Refund.objects.filter(order=order).exists()
    assert not OrderEvent.objects.filter(order=order).exclude(actor="").exists()
    assert counts(run, "orders.Order") == (0, 1, 0)
    assert counts(run, "payments.Payment") == (1, 0, 0)
    assert counts(run, "orders.Refund") == (1, 0, 0)
    # The invoice counts from the end of its year of issue: still kept.
    assert Invoice.objects.filter(order=order).exists()


@pytest.mark.commitment("RET-03")
def test_invoices_go_seven_years_after_the_end_of_their_year_with_the_years_key(
    alice: User, plan: Plan
) -> None:
    invoice = paid_order(alice, plan).invoice
    year = invoice.issued_at.astimezone(UTC).year
    following = paid_order(alice, plan, processor_ref="cs_test_2").invoice
    Invoice.objects.filter(pk=following.pk).update(
        issued_at=datetime(year + 1, 1, 1, 0, 30, tzinfo=UTC), year=year + 1
    )
    following = Invoice.objects.get(pk=following.pk)
    following.billing_name = "Alice Example"  # sealed again, with the next year's key
    following.billing_address = {"city": "Paris"}
    following.save()
    key_of = {y: retention_subject("billing", y) for y in (year, year + 1)}
    assert DataKey.objects.filter(subject_id__in=key_of.values()).count() == 2
    end = datetime(year + 8, 1, 1, tzinfo=UTC)  # seven years after the end of ``year``

    run = sweep("orders.Invoice", now=end - MINUTE)

    assert Invoice.objects.count() == 2
    assert counts(run, "orders.Invoice") == (0, 0, 0)
    assert Invoice.objects.get(pk=invoice.pk).billing_name == "Alice Example"

    run = sweep("orders.Invoice", now=end + MINUTE)

    assert list(Invoice.objects.values_list("pk", flat=True)) == [following.pk]
    assert counts(run, "orders.Invoice") == (1, 0, 0)
    assert not DataKey.objects.filter(subject_id=key_of[year]).exists()
    assert DataKey.objects.filter(subject_id=key_of[year + 1]).exists()
    assert Invoice.objects.get().billing_name == "Alice Example"


# --- RET-04: analytics -------------------------------------------------------------


@pytest.mark.commitment("RET-04")
@pytest.mark.commitment("USE-04")
def test_analytics_are_aggregated_before_raw_events_are_deleted() -> None:
    now = timezone.now()
    old_day = (now - timedelta(days=95)).date()
    recent_day = (now - timedelta(days=89)).date()
    for day, visitors in ((old_day, 3), (recent_day, 2)):
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        for n in range(visitors):
            event_record(subject=f"v:{day}:{n}", kind="pageview", path="/", now=at)

    dry = sweep("analytics.Event", now=now, dry_run=True)

    assert Event.objects.count() == 5 and not DailyCount.objects.exists()
    assert counts(dry, "analytics.Event") == (3, 0, 0)

    run = sweep("analytics.Event", now=now)

    visitors = dict(DailyCount.objects.filter(metric="visitors").values_list("day", "count"))
    assert visitors == {old_day: 3, recent_day: 2}  # both days counted first
    assert not Event.objects.filter(created_at__date=old_day).exists()
    assert Event.objects.filter(created_at__date=recent_day).count() == 2  # within 90 days
    assert counts(run, "analytics.Event") == (3, 0, 0)
    # The counts are anonymous and are not swept: DailyCount is not in the data map.
    assert "analytics.DailyCount" not in {r.model for r in sweeps.retention_rules()}
    sweep(now=now + timedelta(days=10 * 365))
    assert DailyCount.objects.filter(metric="visitors").count() == 2


# --- RET-05: support ---------------------------------------------------------------


@pytest.mark.commitment("RET-05")
@pytest.mark.commitment("SUP-02")
def test_support_records_are_kept_three_years_after_the_last_message(alice: User) -> None:
    ticket = ticket_open(
        customer=alice,
        category="technical",
        title="No data in Spain",
        body="It does not connect.",
        uploads=[Upload("screen.png", "image/png", PNG)],
    )
    message_post_customer(ticket=ticket, author=alice, body="Still nothing.")
    ticket.refresh_from_db()
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2
    assert TicketAttachment.objects.filter(message__ticket=ticket).count() == 1
    events = TicketEvent.objects.filter(ticket=ticket).count()
    # The first message is older than 3 years: it stays with its active ticket.
    first = TicketMessage.objects.filter(ticket=ticket).order_by("pk").first()
    assert first is not None
    TicketMessage.objects.filter(pk=first.pk).update(
        created_at=ticket.updated_at - timedelta(days=4 * 365)
    )
    due = ticket.updated_at + timedelta(days=3 * 365)

    run = sweep(*SUPPORT_RULES, now=due - MINUTE)

    assert TicketMessage.objects.filter(ticket=ticket).count() == 2
    assert TicketAttachment.objects.count() == 1
    assert all(rule.deleted == 0 for rule in run.rules.all())

    run = sweep(*SUPPORT_RULES, now=due + MINUTE)

    assert not Ticket.objects.exists()
    assert not TicketMessage.objects.exists()
    assert not TicketAttachment.objects.exists()
    assert not TicketEvent.objects.exists()
    assert counts(run, "support.TicketAttachment") == (1, 0, 0)
    assert counts(run, "support.TicketMessage") == (2, 0, 0)
    assert counts(run, "support.TicketEvent") == (events, 0, 0)
    assert counts(run, "support.Ticket") == (1, 0, 0)
    assert DataKey.objects.filter(subject_id=alice.public_id).exists()  # the customer's own


@pytest.mark.commitment("SUP-01")
def test_a_visitors_unconfirmed_request_goes_with_its_key(settings: object) -> None:
    ticket = ticket_open_visitor(
        email="someone@example.org", category="question", title="Hello", body="Question"
    )
    assert DataKey.objects.filter(subject_id=ticket.key_subject).exists()
    days = settings.SUPPORT_VISITOR_CONFIRM_DAYS  # type: ignore[attr-defined]

    sweep("support.Ticket", now=ticket.created_at + timedelta(days=days) - MINUTE)
    assert Ticket.objects.filter(pk=ticket.pk).exists()

    run = sweep("support.Ticket", now=ticket.created_at + timedelta(days=days) + MINUTE)

    assert not Ticket.objects.exists()
    assert not DataKey.objects.filter(subject_id=ticket.key_subject).exists()
    assert counts(run, "support.Ticket") == (1, 0, 0)

"""Erasure through the data map: what goes, what law keeps (minimised), what a
legal hold keeps, the key destroyed first, and a verification that fails
loudly when anything of the customer is left (RGT-03, RET-03, RET-07, SEC-05)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import Profile, User
from roamwise.accounts.services import login_record, parental_consent_request
from roamwise.analytics.selectors import subject_of_user
from roamwise.analytics.services import event_record
from roamwise.audit.models import AccessEvent
from roamwise.audit.services import Access, access_record
from roamwise.catalog.models import Plan
from roamwise.consent.models import ConsentRecord
from roamwise.consent.services import consent_record, objection_set
from roamwise.datamap.privacy import ERASURE_PROOF
from roamwise.datamap.registry import Declaration, Erasure, data_map
from roamwise.esims.models import Esim, EsimState
from roamwise.governance.models import Disclosure
from roamwise.kernel.disclosures import disclosure_record
from roamwise.network.models import NetworkSubscription, SubscriptionState
from roamwise.notifications.models import Notification, OutboundEmail
from roamwise.orders.models import Invoice, Order, OrderEvent, Refund
from roamwise.orders.privacy import BILLING_LAW
from roamwise.orders.services import (
    refund_request,
)
from roamwise.payments.models import Payment
from roamwise.retention.models import LegalHold
from roamwise.retention.services import legal_hold_place, legal_hold_release
from roamwise.rights.erasure import (
    ErasureIncomplete,
    ErasureRuleError,
    Retained,
    erase_subject,
    erasure_order,
    rule_problems,
)
from roamwise.rights.erasure_check import Leftover
from roamwise.rights.models import RequestStatus
from roamwise.rights.services.customer import erasure_request_self
from roamwise.rights.services.staff import request_erase
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.support.attachments import Upload
from roamwise.support.models import Ticket, TicketAttachment, TicketMessage
from roamwise.support.services import ticket_open, ticket_open_visitor
from roamwise.testing.factories import EsimFactory, PaidOrderFactory
from roamwise.testing.helpers import PNG, committed, link_in, rows_containing
from roamwise.testing.lines import EID, ICCID_PREFIX, iccid
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import buy
from roamwise.usage.models import Partner, UsageRecord
from roamwise.usage.services import partner_create, usage_ingest_batch
from roamwise.vault.errors import DataErased
from roamwise.vault.models import DataKey, Tombstone
from roamwise.vault.router import PRIMARY_DB, VAULT_DB

AUDIT_KEPT = "Accountability: proof of who accessed personal data"
SHARING_KEPT = "Accountability: proof of what was shared with whom"


def paid_order(customer: User, plan: Plan, *, line: str, eid: str) -> Order:
    """A paid order with its invoice, payment (card brand, last four), and its
    eSIM installed on ``line`` with its bundle on the network."""
    order = PaidOrderFactory(customer=customer, plan=plan)
    EsimFactory(order=order, state=EsimState.INSTALLED, iccid=line, eid=eid, on_network=True)
    order.refresh_from_db()
    return order


def usage(line: str, count: int, *, tag: str) -> list[dict[str, object]]:
    start = timezone.now() - dt.timedelta(hours=30)
    return [
        {
            "record_id": f"{tag}-{n}",
            "iccid": line,
            "session_start": (start + dt.timedelta(hours=n)).isoformat(),
            "session_end": (start + dt.timedelta(hours=n, minutes=30)).isoformat(),
            "bytes_up": 1_000,
            "bytes_down": 9_000,
            "visited_network": "20801",
        }
        for n in range(count)
    ]


@dataclass
class Customer:
    user: User
    orders: list[Order]
    lines: list[str]
    eids: list[str]


def build_customer(
    user: User, plan: Plan, staff: User, partner: Partner, *, first_line: int
) -> Customer:
    """A customer with everything the shop holds: orders, invoices, payments, a
    refund, eSIMs with usage, tickets (one written as a visitor), consents, an
    objection, notifications, analytics, a sign-in, staff accesses and
    disclosures, and a back-office edit of the account."""
    lines = [iccid(first_line), iccid(first_line + 1)]
    eids = [f"89049032{first_line:024d}", f"89049032{first_line + 1:024d}"]
    orders = [paid_order(user, plan, line=lines[i], eid=eids[i]) for i in range(2)]
    # The lines were bought two days ago: usage is refused from before a profile was assigned.
    Esim.objects.filter(order__in=orders).update(created_at=timezone.now() - dt.timedelta(days=2))
    refund_request(order=orders[0], reason="Trip cancelled, my flight number is AF123")
    result = usage_ingest_batch(partner=partner, raw_records=usage(lines[0], 3, tag=user.username))
    assert result.accepted == 3
    committed(
        lambda: ticket_open(
            customer=user,
            category="technical",
            title="No data in Lyon",
            body=f"My line {lines[0]} does not connect",
            uploads=[Upload("screen.png", "image/png", PNG)],
            order=orders[0],
        )
    )
    committed(
        lambda: ticket_open_visitor(
            email=user.email, category="question", title="Before buying", body="Does it work?"
        )
    )
    consent_record(user=user, purpose="analytics", granted=True, source="banner")
    objection_set(user=user, scope="marketing", active=True)
    event_record(subject=subject_of_user(user), kind="pageview", path="/destinations/fr/")
    login_record(user=user, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", ip="")
    access_record(
        Access(
            actor=staff,
            subject=user,
            obj=user,
            fields=("email",),
            action=AccessEvent.Action.VIEW,
            reason="Ticket: cannot connect",
        )
    )
    disclosure_record(
        subject_id=user.public_id, recipient="payment", categories=["user.name"], purpose="billing"
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user),
        action_flag=CHANGE,
        change_message="Changed first name.",
    )
    return Customer(user, orders, lines, eids)


@pytest.fixture
def partner(db: None) -> Partner:
    return partner_create(code="orange-roaming", name="Orange", iccid_prefixes=ICCID_PREFIX)[0]


@pytest.fixture
def customer(alice: User, plan: Plan, staff: User, partner: Partner, shop: str) -> Customer:
    """Alice with everything; her lines live at the network partner, which the
    shop fixture serves over HTTP (erasure ends them there first)."""
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    return build_customer(alice, plan, staff, partner, first_line=1)


@pytest.fixture
def other(bob: User, plan: Plan, staff: User, partner: Partner) -> Customer:
    return build_customer(bob, plan, staff, partner, first_line=11)


def sealed_phone(user: User) -> Profile:
    """The profile row as a backup holds it: the phone still sealed."""
    return Profile.objects.get(user=user)


# --- The end-to-end erasure ------------------------------------------------------


@pytest.mark.commitment("RGT-03")
@pytest.mark.commitment("RET-03")
@pytest.mark.commitment("SEC-05")
@pytest.mark.commitment("SUP-02")
def test_a_customer_is_erased_end_to_end(customer: Customer, other: Customer) -> None:
    alice = customer.user
    subject_id = alice.public_id
    backup_of_profile = sealed_phone(alice)  # loaded, not yet decrypted
    invoices = list(Invoice.objects.filter(order__customer=alice).order_by("pk"))
    for line in customer.lines + other.lines:  # live at the network
        NetworkSubscription.objects.create(iccid=line, state=SubscriptionState.ACTIVE)
    lines = NetworkSubscription.objects.filter(iccid__in=customer.lines + other.lines)

    report = erase_subject(user=alice, reason="Erasure request from the privacy center")

    # Her lines were ended at the network before anything of ours went;
    # bob's are untouched.
    assert report.recipients_told == {"esims.Esim": 2}
    assert dict(lines.values_list("iccid", "state")) == {
        **dict.fromkeys(customer.lines, SubscriptionState.TERMINATED),
        **dict.fromkeys(other.lines, SubscriptionState.ACTIVE),
    }

    assert report.verified is True
    assert report.key_destroyed is True
    assert report.held_by == []
    assert report.complete is True
    assert report.deleted == {
        "account.EmailAddress": 1,
        "accounts.LoginEvent": 1,
        "accounts.Profile": 1,
        "admin.LogEntry": 1,
        "analytics.Event": 1,
        "consent.ConsentRecord": 1,
        "consent.ObjectionRecord": 1,
        "esims.Bundle": 2,
        "esims.EsimEvent": 5,  # two created, one activated by its first traffic, two deleted
        "notifications.Notification": 2,
        "notifications.OutboundEmail": 2,
        "support.Ticket": 2,
        "support.TicketAttachment": 1,
        "support.TicketMessage": 2,
        "usage.UsageRecord": 3,
        "usage.UsageRecordKey": 3,
    }
    assert report.anonymised == {"accounts.User": 1, "esims.Esim": 2}
    assert sorted(report.retained, key=lambda r: r.model) == [
        Retained("audit.AccessEvent", 1, AUDIT_KEPT),
        # The payment one, and the network told to end each of her two lines.
        Retained("governance.Disclosure", 3, SHARING_KEPT),
        Retained("orders.Fulfilment", 2, BILLING_LAW),
        Retained("orders.Invoice", 2, BILLING_LAW),
        Retained("orders.Order", 2, BILLING_LAW),
        Retained("orders.OrderEvent", 6, BILLING_LAW),
        Retained("orders.Refund", 1, BILLING_LAW),
        Retained("payments.Payment", 2, BILLING_LAW),
        Retained("vault.Tombstone", 1, ERASURE_PROOF),
    ]

    # The key is gone: what a backup holds of the profile can never be opened.
    assert not DataKey.objects.filter(subject_id=subject_id).exists()
    with pytest.raises(DataErased):
        _ = backup_of_profile.phone
    assert rows_containing(alice.email) == []
    assert rows_containing("Liddell") == []

    # The account row stays only as the anchor of the invoices' orders, emptied.
    emptied = User.objects.get(pk=alice.pk)
    assert emptied.username.startswith("erased-")
    assert (emptied.email, emptied.first_name, emptied.last_name) == ("", "", "")
    assert emptied.public_id != subject_id
    assert emptied.is_active is False
    assert emptied.last_login is None
    assert emptied.check_password("correct horse battery staple 42") is False

    # Invoices kept as tax law needs them, readable with the year's billing key.
    for before in invoices:
        kept = Invoice.objects.get(pk=before.pk)
        assert (kept.number, kept.total, kept.billing_name) == (
            before.number,
            before.total,
            "Alice Example",
        )
        assert kept.billing_address == before.billing_address
    # Orders kept for their amounts, minimised: no name, address or phone.
    for order in Order.objects.filter(pk__in=[o.pk for o in customer.orders]):
        assert (order.billing_name, order.contact_phone, order.billing_address) == ("", "", None)
        assert order.total == customer.orders[0].total
        assert order.billing_country == "FR"
        assert order.customer_id == alice.pk
    assert set(
        Payment.objects.filter(order__customer=alice).values_list(
            "card_brand", "card_last4", "card_exp_month", "card_exp_year", "status"
        )
    ) == {("", "", None, None, "succeeded")}
    assert list(Refund.objects.filter(order__customer=alice).values_list("reason", "amount")) == [
        ("", customer.orders[0].total)
    ]
    assert set(OrderEvent.objects.filter(order__customer=alice).values_list("note", flat=True)) == {
        ""
    }
    # eSIMs stay with their orders, with nothing that identifies profile or device.
    esims = list(Esim.objects.filter(customer=alice))
    assert len(esims) == 2
    for esim in esims:
        assert (esim.iccid, esim.iccid_index, esim.eid, esim.matching_id) == ("", "", "", "")
        assert (esim.state, esim.installed_at) == (EsimState.DELETED, None)

    # What is kept for accountability keeps pointing at the old public id.
    assert AccessEvent.objects.filter(subject_id=subject_id).count() == 1
    assert Disclosure.objects.filter(subject_id=subject_id).count() == 3
    for alias in (VAULT_DB, PRIMARY_DB):
        tombstone = Tombstone.objects.using(alias).get(subject_id=subject_id)
        assert tombstone.erased_at == report.erased_at

    # The other customer is untouched.
    bob = other.user
    assert Profile.objects.get(user=bob).phone == "+447911123456"
    assert DataKey.objects.filter(subject_id=bob.public_id).exists()
    assert Ticket.objects.filter(customer=bob).count() == 1
    assert UsageRecord.objects.filter(esim__customer=bob).count() == 3
    assert [o.billing_name for o in Order.objects.filter(customer=bob)] == ["Alice Example"] * 2
    assert {e.iccid for e in Esim.objects.filter(customer=bob)} == set(other.lines)
    assert EmailAddress.objects.filter(user=bob).count() == 1


@pytest.mark.commitment("RGT-03")
def test_a_network_that_cannot_be_told_stops_the_erasure_with_nothing_changed(
    customer: Customer, settings: object, jobs: Callable[[], object]
) -> None:
    alice = customer.user
    esims = Esim.objects.filter(customer=alice)
    before = {(e.iccid, e.state) for e in esims}
    with socket.socket() as unused:  # a port nobody listens on: the network is down
        unused.bind(("127.0.0.1", 0))
        settings.NETWORK_PARTNER_URL = f"http://127.0.0.1:{unused.getsockname()[1]}"  # type: ignore[attr-defined]

    erasure = erasure_request_self(user=alice)

    assert erasure.status == RequestStatus.FAILED
    assert "Nothing was erased" in erasure.outcome["error"]
    assert "could not be told to stop" in erasure.outcome["error"]
    assert not Tombstone.objects.filter(subject_id=alice.public_id).exists()
    assert DataKey.objects.using(VAULT_DB).filter(subject_id=alice.public_id).exists()
    assert Profile.objects.get(user=alice).phone == "+447911123456"
    assert {(e.iccid, e.state) for e in esims} == before
    assert {iccid for iccid, _ in before} == set(customer.lines)
    jobs()  # the privacy team's alert goes out
    alert = next(m for m in mail.outbox if "Erasure blocked" in m.subject)
    assert erasure.reference in alert.subject

    # The network answers again: staff start the request again and it completes.
    settings.NETWORK_PARTNER_URL = f"{settings.SITE_URL}/network"  # type: ignore[attr-defined]
    done = request_erase(request=erasure, actor=make_customer("priya", is_staff=True))

    assert done.status == RequestStatus.COMPLETED
    assert set(esims.values_list("state", flat=True)) == {EsimState.DELETED}
    assert Tombstone.objects.filter(subject_id=alice.public_id).exists()


@pytest.mark.commitment("RGT-03")
@pytest.mark.commitment("SIM-04")
def test_a_profile_not_yet_downloaded_goes_back_to_the_smdp_without_its_device(
    shop: str, buyer: Client, plan: Plan, jobs: Callable[[], object], alice: User
) -> None:
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))
    assert esim.state == EsimState.READY
    profile = SmdpProfile.objects.get(iccid=esim.iccid)
    SmdpProfile.objects.filter(pk=profile.pk).update(eid=EID)  # linked to her phone
    esim.eid = EID
    esim.save(update_fields=["eid"])

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.recipients_told == {"esims.Esim": 1}
    profile.refresh_from_db()
    # CancelOrder: back in the SM-DP+'s stock, nothing left of her or her phone.
    assert (profile.state, profile.eid, profile.matching_id) == (ProfileState.AVAILABLE, "", None)
    esim.refresh_from_db()
    assert (esim.state, esim.iccid, esim.eid) == (EsimState.DELETED, "", "")


@pytest.mark.commitment("RGT-03")
def test_a_customer_without_purchases_leaves_no_account_row(alice: User) -> None:
    committed(
        lambda: ticket_open(customer=alice, category="privacy", title="Delete me", body="Please")
    )
    consent_record(user=alice, purpose="marketing", granted=True, source="settings")

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.verified is True
    assert report.anonymised == {}
    assert report.deleted["accounts.User"] == 1
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Ticket.objects.exists()
    assert not TicketMessage.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert report.retained == [Retained("vault.Tombstone", 1, ERASURE_PROOF)]


@pytest.mark.commitment("RGT-03")
@pytest.mark.commitment("SUP-02")
def test_erasing_an_account_erases_its_support_records(alice: User) -> None:
    committed(
        lambda: ticket_open(
            customer=alice,
            category="privacy",
            title="Delete me",
            body="Please",
            uploads=[Upload("id.png", "image/png", PNG)],
        )
    )

    erase_subject(user=alice, reason="Erasure request")

    assert not Ticket.objects.exists()
    assert not TicketMessage.objects.exists()
    assert not TicketAttachment.objects.exists()
    assert not DataKey.objects.filter(subject_id=alice.public_id).exists()


# --- Idempotency ------------------------------------------------------------------


def kept_records() -> dict[str, object]:
    tombstones = Tombstone.objects.using(VAULT_DB).values_list("subject_id", "erased_at")
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "total", "billing_name")),
        "invoices": list(Invoice.objects.order_by("pk").values_list("pk", "number", "total")),
        "esims": list(Esim.objects.order_by("pk").values_list("pk", "state", "iccid_index")),
        "events": AccessEvent.objects.count(),
        "tombstones": list(tombstones),
    }


@pytest.mark.commitment("RGT-03")
@pytest.mark.commitment("SEC-05")
def test_erasing_again_finishes_nothing_new_and_changes_nothing_kept(customer: Customer) -> None:
    alice = customer.user
    first = erase_subject(user=alice, reason="Erasure request")
    kept = kept_records()

    again = erase_subject(user=alice, reason="Erasure request, sent twice")

    assert again.verified is True
    assert again.deleted == {}
    assert again.retained == first.retained
    assert again.anonymised == first.anonymised  # already empty, blanked again
    assert kept == kept_records()
    emptied = User.objects.get(pk=alice.pk)
    assert (emptied.email, emptied.first_name, emptied.is_active) == ("", "", False)


# --- Legal holds ------------------------------------------------------------------


@pytest.mark.commitment("RET-07")
@pytest.mark.commitment("RGT-03")
def test_a_legal_hold_keeps_what_it_covers_readable_until_released(
    customer: Customer, staff: User
) -> None:
    alice = customer.user
    disputed, other_order = customer.orders
    hold = legal_hold_place(
        subject_id=alice.public_id,
        kind=LegalHold.Kind.DISPUTE,
        reason="Chargeback opened by the card issuer",
        model="orders.Order",
        object_id=str(disputed.pk),
        placed_by=staff,
    )
    why = "Legal hold (payment dispute): Chargeback opened by the card issuer"

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.verified is True
    assert report.held_by == [why]
    assert report.key_destroyed is False
    assert report.complete is False
    held = {r.model: r.rows for r in report.retained if r.reason == why}
    # The disputed order, what belongs to it, and the account it points at.
    assert held == {
        "accounts.User": 1,
        "esims.Bundle": 1,
        "esims.Esim": 1,
        "esims.EsimEvent": 3,  # its line was ended all the same: a hold keeps records
        "orders.Fulfilment": 1,
        "orders.Invoice": 1,
        "orders.Order": 1,
        "orders.OrderEvent": 3,
        "orders.Refund": 1,
        "payments.Payment": 1,
        "support.Ticket": 1,
        "support.TicketAttachment": 1,
        "support.TicketMessage": 1,
        "usage.UsageRecord": 3,
        "usage.UsageRecordKey": 3,
    }
    alice_now = User.objects.get(pk=alice.pk)
    assert alice_now.is_active is False
    assert alice_now.email == "alice@example.com"
    disputed.refresh_from_db()
    assert (disputed.billing_name, disputed.contact_phone) == ("Alice Example", "+33612345678")
    assert Esim.objects.get(order=disputed).iccid == customer.lines[0]
    other_order.refresh_from_db()
    assert (other_order.billing_name, other_order.contact_phone) == ("", "")
    assert Esim.objects.get(order=other_order).iccid == ""
    assert not Profile.objects.filter(user=alice).exists()
    assert Ticket.objects.filter(customer=None).count() == 0  # the visitor ticket went

    legal_hold_release(hold=hold)
    finished = erase_subject(user=alice, reason="The dispute is closed")

    assert finished.complete is True
    assert not DataKey.objects.filter(subject_id=alice.public_id).exists()
    disputed.refresh_from_db()
    assert (disputed.billing_name, disputed.contact_phone) == ("", "")
    assert not Ticket.objects.exists()
    assert not UsageRecord.objects.exists()
    assert User.objects.get(pk=alice.pk).email == ""


@pytest.mark.commitment("RET-07")
def test_a_hold_on_everything_keeps_everything_but_stops_the_account(customer: Customer) -> None:
    alice = customer.user
    legal_hold_place(
        subject_id=alice.public_id, kind=LegalHold.Kind.LEGAL_REQUEST, reason="Court order 12/345"
    )

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.deleted == {}
    assert report.anonymised == {}
    assert report.key_destroyed is False
    assert Profile.objects.get(user=alice).phone == "+447911123456"
    assert Ticket.objects.count() == 2
    assert User.objects.get(pk=alice.pk).is_active is False


# --- Verification ------------------------------------------------------------------


def replaced(model: str, **changes: object) -> Declaration:
    base = data_map.declarations[model.lower()]
    return Declaration(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.commitment("RGT-03")
def test_verification_finds_a_row_the_data_map_let_slip(
    customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declaration whose subject path forgets the tickets a customer wrote as
    a visitor: erasure misses one, and the blind index of the email finds it."""
    alice = customer.user
    monkeypatch.setitem(
        data_map.declarations, "support.ticket", replaced("support.Ticket", subject="customer")
    )

    with pytest.raises(ErasureIncomplete) as raised:
        erase_subject(user=alice, reason="Erasure request")

    assert raised.value.leftovers == (Leftover("support.Ticket", "contact_email_index", 1),)
    assert "support.Ticket.contact_email_index (1 rows)" in str(raised.value)
    assert raised.value.report.verified is False
    # What could be done is done: the key is gone, the rest erased.
    assert not DataKey.objects.filter(subject_id=alice.public_id).exists()
    assert Ticket.objects.filter(customer=None).count() == 1
    assert not Profile.objects.filter(user=alice).exists()


@pytest.mark.commitment("RGT-03")
@pytest.mark.commitment("CHD-02")
def test_verification_finds_a_message_sealed_with_the_subjects_key(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The email asking a parent's consent has no account behind it (user is
    null) but is sealed with the child's key. A data map that reaches messages
    through their user only misses it; its sealed form still names the key."""
    parental_consent_request(child=alice, parent_email="parent@example.org")
    monkeypatch.setitem(
        data_map.declarations,
        "notifications.notification",
        replaced("notifications.Notification", subject="user"),
    )
    monkeypatch.setitem(
        data_map.declarations,
        "notifications.outboundemail",
        replaced("notifications.OutboundEmail", subject="notification__user"),
    )

    with pytest.raises(ErasureIncomplete) as raised:
        erase_subject(user=alice, reason="A parent refused consent")

    assert raised.value.leftovers == (
        Leftover("notifications.Notification", "title", 1),
        Leftover("notifications.OutboundEmail", "recipient", 1),
        Leftover("notifications.OutboundEmail", "subject_line", 1),
        Leftover("notifications.OutboundEmail", "text_body", 1),
        Leftover("notifications.OutboundEmail", "html_body", 1),
        Leftover("notifications.OutboundEmail", "headers", 1),
        Leftover("notifications.OutboundEmail", "attachments", 1),
    )


@pytest.mark.commitment("RGT-03")
def test_a_phone_number_shared_with_another_customer_is_theirs_too(alice: User, bob: User) -> None:
    """Every test customer has the same phone number: bob's is not a leftover."""
    assert Profile.objects.get(user=alice).phone == Profile.objects.get(user=bob).phone

    report = erase_subject(user=alice, reason="Erasure request")

    assert report.verified is True
    assert Profile.objects.get(user=bob).phone == "+447911123456"


# --- The rules themselves -----------------------------------------------------------


@pytest.mark.commitment("RGT-03")
def test_every_declared_erasure_rule_can_be_carried_out() -> None:
    assert rule_problems() == []


@pytest.mark.commitment("RGT-03")
def test_a_rule_that_cannot_be_carried_out_stops_erasure_before_anything_changes(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        data_map.declarations, "esims.esim", replaced("esims.Esim", erasure=Erasure.anonymise())
    )

    with pytest.raises(ErasureRuleError) as raised:
        erase_subject(user=alice, reason="Erasure request")

    assert "esims.Esim.customer cannot be blanked" in str(raised.value)
    assert "esims.Esim.state cannot be blanked" in str(raised.value)
    assert DataKey.objects.filter(subject_id=alice.public_id).exists()
    assert not Tombstone.objects.using(VAULT_DB).exists()
    assert Profile.objects.filter(user=alice).exists()


def test_models_are_erased_before_the_models_they_refer_to() -> None:
    order = [d.model for d in erasure_order()]

    assert order[-1] == "accounts.User"
    for child, parent in [
        ("orders.Invoice", "orders.Order"),
        ("payments.Payment", "orders.Order"),
        ("esims.Esim", "orders.Order"),
        ("esims.Bundle", "esims.Esim"),
        ("usage.UsageRecord", "esims.Esim"),
        ("support.TicketAttachment", "support.TicketMessage"),
        ("support.TicketMessage", "support.Ticket"),
        ("support.Ticket", "orders.Order"),
        ("notifications.OutboundEmail", "notifications.Notification"),
    ]:
        assert order.index(child) < order.index(parent), (child, parent)


# --- A parent's refusal ---------------------------------------------------------------


@pytest.mark.commitment("CHD-02")
@pytest.mark.commitment("RGT-03")
def test_a_parents_refusal_erases_the_childs_account_and_the_consent_email(
    client: Client, jobs: Callable[[], int]
) -> None:
    child = make_customer("teen")
    committed(lambda: parental_consent_request(child=child, parent_email="parent@example.org"))
    jobs()
    to_parent = next(m for m in mail.outbox if m.to == ["parent@example.org"])
    consent_page = link_in(to_parent.body, "/account/parental-consent/")

    response = client.post(consent_page, {"decision": "refuse"})

    assert response.status_code == 200
    assert not User.objects.filter(pk=child.pk).exists()
    assert not Notification.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert rows_containing("parent@example.org") == []
    assert Tombstone.objects.using(VAULT_DB).filter(subject_id=child.public_id).exists()

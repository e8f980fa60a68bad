"""Legal holds suspend deletion of what they cover (RET-07): a subject's
records, one model of theirs, or one row, and the rows that belong to it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import LoginEvent, User
from roamwise.accounts.services import login_record
from roamwise.catalog.models import Plan
from roamwise.consent.models import ConsentRecord
from roamwise.core.signing import signature_header
from roamwise.orders.models import Order
from roamwise.orders.privacy import BILLING_PERIOD
from roamwise.payments.models import Payment
from roamwise.retention.errors import HoldInvalid
from roamwise.retention.models import LegalHold
from roamwise.retention.services import legal_hold_place, legal_hold_release
from roamwise.support.models import Ticket, TicketMessage
from roamwise.support.services import ticket_open
from roamwise.testing.lines import ICCID_PREFIX, esim_on_line, iccid
from roamwise.testing.shopping import paid_order

from .conftest import counts, sweep

YEAR_AND_A_DAY = timedelta(days=366)


def logins(user: User, n: int) -> list[int]:
    return [
        login_record(user=user, user_agent="Mozilla/5.0 Firefox/120.0", ip="81.56.0.1").pk
        for _ in range(n)
    ]


def consent(user: User) -> ConsentRecord:
    return ConsentRecord.objects.create(
        user=user, purpose="analytics", granted=True, source="banner", policy_version="1"
    )


def remaining(pks: list[int]) -> set[int]:
    return set(LoginEvent.objects.filter(pk__in=pks).values_list("pk", flat=True))


@pytest.mark.commitment("RET-07")
def test_a_hold_on_a_subject_keeps_all_their_records(alice: User, bob: User) -> None:
    alices, bobs = logins(alice, 2), logins(bob, 1)
    alices_consent, bobs_consent = consent(alice), consent(bob)
    legal_hold_place(subject_id=alice.public_id, kind="litigation", reason="Claim 2026-41")
    later = timezone.now() + 2 * YEAR_AND_A_DAY

    run = sweep("accounts.LoginEvent", "consent.ConsentRecord", now=later)

    assert remaining(alices) == set(alices)
    assert remaining(bobs) == set()
    assert ConsentRecord.objects.filter(pk=alices_consent.pk).exists()
    assert not ConsentRecord.objects.filter(pk=bobs_consent.pk).exists()
    assert counts(run, "accounts.LoginEvent") == (1, 0, 2)
    assert counts(run, "consent.ConsentRecord") == (1, 0, 1)


@pytest.mark.commitment("RET-07")
def test_a_hold_on_one_model_keeps_only_that_model(alice: User) -> None:
    alices = logins(alice, 2)
    alices_consent = consent(alice)
    legal_hold_place(
        subject_id=alice.public_id,
        kind="legal_request",
        reason="Police request: sign-ins",
        model="accounts.LoginEvent",
    )

    run = sweep(
        "accounts.LoginEvent", "consent.ConsentRecord", now=timezone.now() + 2 * YEAR_AND_A_DAY
    )

    assert remaining(alices) == set(alices)
    assert not ConsentRecord.objects.filter(pk=alices_consent.pk).exists()
    assert counts(run, "accounts.LoginEvent") == (0, 0, 2)
    assert counts(run, "consent.ConsentRecord") == (1, 0, 0)


@pytest.mark.commitment("RET-07")
def test_a_hold_on_one_row_keeps_that_row_and_its_release_lets_it_go(alice: User) -> None:
    first, second, third = logins(alice, 3)
    hold = legal_hold_place(
        subject_id=alice.public_id,
        kind="legal_request",
        reason="The sign-in of the 3rd",
        model="accounts.LoginEvent",
        object_id=str(second),
    )
    later = timezone.now() + YEAR_AND_A_DAY

    run = sweep("accounts.LoginEvent", now=later, chunk_size=1)

    assert remaining([first, second, third]) == {second}
    assert counts(run, "accounts.LoginEvent") == (2, 0, 1)

    released = legal_hold_release(hold=hold)
    assert released.released_at is not None and not released.active
    run = sweep("accounts.LoginEvent", now=later)

    assert remaining([first, second, third]) == set()
    assert counts(run, "accounts.LoginEvent") == (1, 0, 0)


@pytest.mark.commitment("RET-07")
def test_a_held_order_keeps_its_payments_and_a_held_message_keeps_its_ticket(
    alice: User, plan: Plan
) -> None:
    order = paid_order(alice, plan)
    legal_hold_place(
        subject_id=alice.public_id,
        kind="dispute",
        reason="Chargeback",
        model="orders.Order",
        object_id=str(order.pk),
    )
    ticket = ticket_open(customer=alice, category="complaint", title="Refund", body="Please")
    message = ticket.messages.get()
    legal_hold_place(
        subject_id=alice.public_id,
        kind="litigation",
        reason="The complaint's wording",
        model="support.TicketMessage",
        object_id=str(message.pk),
    )
    later = timezone.now() + BILLING_PERIOD + timedelta(days=1)

    run = sweep("payments.Payment", "orders.Order", "support.Ticket", now=later)

    assert Payment.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.billing_name == "Alice Example"
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert TicketMessage.objects.filter(pk=message.pk).exists()
    assert counts(run, "payments.Payment") == (0, 0, 1)
    assert counts(run, "orders.Order") == (0, 0, 1)
    assert counts(run, "support.Ticket") == (0, 0, 1)


def test_a_hold_must_name_what_it_covers(alice: User) -> None:
    with pytest.raises(HoldInvalid, match="not a model of the data map"):
        legal_hold_place(
            subject_id=alice.public_id, kind="dispute", reason="x", model="catalog.Plan"
        )
    with pytest.raises(HoldInvalid, match=r"There is no accounts\.LoginEvent with id 999"):
        legal_hold_place(
            subject_id=alice.public_id,
            kind="dispute",
            reason="x",
            model="accounts.LoginEvent",
            object_id="999",
        )
    with pytest.raises(HoldInvalid, match="Say why"):
        legal_hold_place(subject_id=alice.public_id, kind="dispute", reason="  ")
    with pytest.raises(HoldInvalid, match="Unknown kind"):
        legal_hold_place(subject_id=alice.public_id, kind="whim", reason="x")
    assert not LegalHold.objects.exists()


@pytest.mark.commitment("RET-07")
@pytest.mark.commitment("ORD-05")
def test_a_dispute_places_a_legal_hold_that_the_sweep_obeys(alice: User, plan: Plan) -> None:
    order = paid_order(alice, plan, processor_ref="cs_disputed")
    body = json.dumps(
        {
            "id": "evt_dispute_1",
            "type": "dispute.created",
            "created": int(time.time()),
            "data": {"session": "cs_disputed", "dispute": {"id": "dp_1"}},
        }
    ).encode()

    response = Client().post(
        "/payments/webhooks/simulated/",
        body,
        content_type="application/json",
        headers={"Gateway-Signature": signature_header(body, settings.GATEWAY_WEBHOOK_SECRET)},
    )

    assert response.status_code == 200
    hold = LegalHold.objects.get()
    assert (hold.kind, hold.subject_id, hold.model, hold.object_id) == (
        "dispute",
        alice.public_id,
        "orders.order",
        str(order.pk),
    )
    assert hold.reference == "simulated:cs_disputed"
    assert Order.objects.get(pk=order.pk).legal_hold is True
    later = timezone.now() + BILLING_PERIOD + timedelta(days=1)
    run = sweep("payments.Payment", now=later)
    assert Payment.objects.filter(order=order).exists()
    assert counts(run, "payments.Payment") == (0, 0, 1)

    legal_hold_release(hold=hold)

    assert Order.objects.get(pk=order.pk).legal_hold is False
    run = sweep("payments.Payment", now=later)
    assert not Payment.objects.filter(order=order).exists()
    assert counts(run, "payments.Payment") == (1, 0, 0)


@pytest.mark.commitment("RET-02")
@pytest.mark.commitment("RET-07")
def test_a_held_usage_record_keeps_its_month_from_being_dropped(alice: User, plan: Plan) -> None:
    from roamwise.usage import partitions
    from roamwise.usage import services as usage
    from roamwise.usage.models import UsageRecord

    partner, _ = usage.partner_create(code="orange", name="Orange", iccid_prefixes=ICCID_PREFIX)
    esim = esim_on_line(alice, plan, iccid(1))
    now = timezone.now()
    old_month = partitions.month_of(now - timedelta(days=31 * 14))
    partitions.partitions_ensure([old_month])
    rows = []
    for n in range(2):
        start = datetime(old_month.year, old_month.month, 10 + n, tzinfo=UTC)
        rows.append(
            UsageRecord.objects.create(
                partner=partner,
                record_id=f"old-{n}",
                esim=esim,
                session_start=start,
                session_end=start + timedelta(hours=1),
                bytes_up=1,
                bytes_down=1,
                visited_network="20801",
            )
        )
    hold = legal_hold_place(
        subject_id=alice.public_id,
        kind="legal_request",
        reason="Where was the phone on the 10th",
        model="usage.UsageRecord",
        object_id=str(rows[0].pk),
    )

    run = sweep("usage.UsageRecord", now=now)

    assert list(UsageRecord.objects.values_list("record_id", flat=True)) == ["old-0"]
    assert counts(run, "usage.UsageRecord") == (1, 0, 1)
    if partitions.is_partitioned():
        assert partitions.partition_name(old_month) in partitions.partitions()

    legal_hold_release(hold=hold)
    run = sweep("usage.UsageRecord", now=now)

    assert not UsageRecord.objects.exists()
    assert counts(run, "usage.UsageRecord") == (1, 0, 0)
    if partitions.is_partitioned():
        assert partitions.partition_name(old_month) not in partitions.partitions()

"""Balances: consumption in order of expiry, exhausted bundles, validity from
first traffic, alerts once per bundle, exact totals under concurrent batches."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.esims.models import BYTES_PER_MB, Bundle, Esim, EsimState
from roamwise.orders.models import Order
from roamwise.testing.lines import esim_on_line, iccid, record
from roamwise.testing.shopping import BILLING
from roamwise.usage import services
from roamwise.usage.models import Partner, UsageRecord

MB = BYTES_PER_MB


def send(partner: Partner, records: list[dict[str, Any]], capture: Any) -> services.IngestResult:
    with capture(execute=True):
        return services.usage_ingest_batch(partner=partner, raw_records=records)


def add_bundle(
    esim: Esim, plan: Plan, *, data_mb: int | None, expires_in_days: float | None
) -> Bundle:
    from roamwise.orders.services import order_create

    order = order_create(customer=esim.customer, plan=plan, billing=BILLING, kind=Order.Kind.TOPUP)
    now = timezone.now()
    expires = None if expires_in_days is None else now + dt.timedelta(days=expires_in_days)
    return Bundle.objects.create(
        esim=esim,
        order=order,
        plan=plan,
        data_mb=data_mb,
        validity_days=30,
        state=Bundle.State.ACTIVE,
        network_added_at=now - dt.timedelta(days=1),
        starts_at=None if expires is None else now - dt.timedelta(days=1),
        expires_at=expires,
    )


@pytest.mark.django_db
@pytest.mark.commitment("SIM-03")
def test_the_bundle_that_expires_first_is_used_first(
    partner: tuple[Partner, str],
    alice: User,
    plan: Plan,
    django_capture_on_commit_callbacks: Any,
) -> None:
    esim = esim_on_line(alice, plan, iccid(1), state=EsimState.ACTIVE)
    main = esim.bundles.get()
    Bundle.objects.filter(pk=main.pk).update(
        data_mb=100,
        starts_at=timezone.now() - dt.timedelta(days=1),
        expires_at=timezone.now() + dt.timedelta(days=20),
    )
    soon = add_bundle(esim, plan, data_mb=50, expires_in_days=3)
    send(
        partner[0], [record("a", iccid(1), up=0, down=30 * MB)], django_capture_on_commit_callbacks
    )
    soon.refresh_from_db()
    main.refresh_from_db()
    assert (soon.used_bytes, main.used_bytes) == (30 * MB, 0)
    # 40 MB more: the 20 MB left of the first, then 20 MB of the second.
    send(
        partner[0], [record("b", iccid(1), up=0, down=40 * MB)], django_capture_on_commit_callbacks
    )
    soon.refresh_from_db()
    main.refresh_from_db()
    assert soon.used_bytes == 50 * MB and soon.state == Bundle.State.EXHAUSTED
    assert main.used_bytes == 20 * MB and main.state == Bundle.State.ACTIVE
    assert soon.remaining_bytes == 0 and main.remaining_bytes == 80 * MB


@pytest.mark.django_db
def test_usage_beyond_every_allowance_stays_counted(
    partner: tuple[Partner, str], line_esim: Esim, django_capture_on_commit_callbacks: Any
) -> None:
    Bundle.objects.filter(esim=line_esim).update(data_mb=10)
    send(
        partner[0], [record("a", iccid(1), up=0, down=15 * MB)], django_capture_on_commit_callbacks
    )
    bundle = Bundle.objects.get(esim=line_esim)
    assert bundle.used_bytes == 15 * MB
    assert bundle.state == Bundle.State.EXHAUSTED
    assert bundle.remaining_bytes == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("SIM-03")
def test_alerts_fire_once_each_at_80_and_100_percent(
    partner: tuple[Partner, str],
    line_esim: Esim,
    jobs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Bundle.objects.filter(esim=line_esim).update(data_mb=100)
    mail.outbox.clear()

    def use(record_id: str, mb: int) -> list[str]:
        send(
            partner[0],
            [record(record_id, iccid(1), up=0, down=mb * MB)],
            django_capture_on_commit_callbacks,
        )
        jobs()
        subjects = [m.subject for m in mail.outbox]
        mail.outbox.clear()
        return subjects

    assert use("a", 70) == []
    assert use("b", 10) == ["[Roamwise] You have used 80% of your data"]
    assert use("c", 5) == []  # still past 80%: not again
    assert use("d", 15) == ["[Roamwise] You have used all your data"]
    assert use("e", 1) == []
    message_to = Bundle.objects.get(esim=line_esim).esim.customer.email
    assert message_to == line_esim.customer.email


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("USE-03")
def test_straight_past_80_to_100_sends_one_message(
    partner: tuple[Partner, str],
    line_esim: Esim,
    jobs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from roamwise.consent.services import consent_record

    # A customer who said no to marketing still gets service messages.
    consent_record(purpose="marketing", granted=False, source="settings", user=line_esim.customer)
    Bundle.objects.filter(esim=line_esim).update(data_mb=100)
    mail.outbox.clear()
    send(
        partner[0], [record("a", iccid(1), up=0, down=120 * MB)], django_capture_on_commit_callbacks
    )
    jobs()
    assert [m.subject for m in mail.outbox] == ["[Roamwise] You have used all your data"]
    assert line_esim.customer.email in mail.outbox[0].to


@pytest.mark.django_db(transaction=True)
@pytest.mark.commitment("SIM-03")
def test_one_day_before_expiry_the_customer_is_told_once(line_esim: Esim, jobs: Any) -> None:
    from roamwise.usage.tasks import expiry_alerts

    bundle = Bundle.objects.get(esim=line_esim)
    Bundle.objects.filter(pk=bundle.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=6),
        expires_at=timezone.now() + dt.timedelta(days=2),
    )
    mail.outbox.clear()
    assert expiry_alerts.call_local() == 0
    Bundle.objects.filter(pk=bundle.pk).update(expires_at=timezone.now() + dt.timedelta(hours=20))
    assert expiry_alerts.call_local() == 1
    assert expiry_alerts.call_local() == 0
    jobs()
    assert [m.subject for m in mail.outbox] == ["[Roamwise] Your data plan ends within a day"]


@pytest.mark.django_db(transaction=True)
def test_unlimited_bundles_never_alert_about_data(
    partner: tuple[Partner, str],
    line_esim: Esim,
    jobs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Bundle.objects.filter(esim=line_esim).update(data_mb=None)
    mail.outbox.clear()
    send(
        partner[0],
        [record("a", iccid(1), up=0, down=10_000 * MB)],
        django_capture_on_commit_callbacks,
    )
    jobs()
    assert mail.outbox == []
    assert Bundle.objects.get(esim=line_esim).state == Bundle.State.ACTIVE


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.commitment("SIM-03")
def test_concurrent_batches_for_one_esim_give_exact_totals(
    partner: tuple[Partner, str], alice: User, plan: Plan
) -> None:
    esim = esim_on_line(alice, plan, iccid(1), state=EsimState.ACTIVE)
    Bundle.objects.filter(esim=esim).update(data_mb=None)
    workers, per_batch, overlap = 8, 200, 50
    errors: list[BaseException] = []

    def batch(worker: int) -> None:
        # Each batch shares 50 records with the next one.
        start = worker * (per_batch - overlap)
        records = [
            record(f"c{n}", iccid(1), hours_ago=n / 100, up=n, down=0)
            for n in range(start, start + per_batch)
        ]
        try:
            services.usage_ingest_batch(partner=partner[0], raw_records=records)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=batch, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    distinct = (workers - 1) * (per_batch - overlap) + per_batch
    assert UsageRecord.objects.count() == distinct
    assert Bundle.objects.get(esim=esim).used_bytes == sum(range(distinct))

"""Paid orders through a shop whose pieces fail (ADR 0017): the small scenario.

The long one, with every piece a process and real Redis and PostgreSQL, is
``bench/faults.py``; this one runs in the suite on SQLite and PostgreSQL with
the site on loopback, and counts with the same tally. Four orders:

- A: the SM-DP+ acts on DownloadOrder but answers garbage;
- B: the worker provisioning it is killed (SIGKILL, a real process) in the
  middle of DownloadOrder, after the SM-DP+ acted;
- D: no profile can be had; its refund times out at the processor after the
  processor made it;
- C: paid just before the job queue is lost (a Redis restart), taking with it
  C's payment webhooks, D's refund webhook and A's scheduled retry.

Then the faults stop and only the periodic sweeps run, as the scheduler would.
Every paid order ends fulfilled or refunded once, no profile is provisioned
twice, no webhook is lost (SIM-01, ORD-03, ORD-05).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from bench.faults import tally
from roamwise.catalog.models import Plan
from roamwise.core import http
from roamwise.core.faults import fault_set
from roamwise.esims.models import Es2Attempt, Esim, EsimState
from roamwise.esims.tasks import provisioning_sweep  # also registers the eSIM fulfiller
from roamwise.gateway.models import GatewayRefund, WebhookDelivery
from roamwise.gateway.tasks import webhooks_redeliver
from roamwise.orders.models import Order, OrderStatus, Refund
from roamwise.orders.tasks import fulfilment_sweep
from roamwise.payments.models import Payment, WebhookEvent
from roamwise.payments.tasks import refunds_retry
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.smdp.tasks import notifications_redeliver
from roamwise.testing.shopping import checkout, pay

from .conftest import fulfilment_held, stock_the_batch
from .smdp_proxy import SmdpProxy

ROOT = Path(__file__).resolve().parents[3]


def run_due(*, until: Callable[[], bool] = lambda: False) -> None:
    """Run the jobs that are due now (not the scheduled retries), optionally
    stopping as soon as ``until`` holds."""
    from huey.contrib.djhuey import HUEY

    while not until() and (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)


def sweep(jobs: Callable[[], int]) -> None:
    """What the scheduler does each minute once the faults are over: the
    recovery sweeps, then the jobs they queue (retries included)."""
    for _ in range(4):
        for periodic in (
            webhooks_redeliver,
            notifications_redeliver,
            fulfilment_sweep,
            provisioning_sweep,
            refunds_retry,
        ):
            periodic.call_local()
        if not jobs():
            return


def buy(buyer: Client, plan: Plan) -> Order:
    before = set(Order.objects.values_list("pk", flat=True))
    pay(buyer, checkout(buyer, plan), "4242 4242 4242 4242")
    return Order.objects.exclude(pk__in=before).get()


def database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def provision_in_a_worker(order: Order) -> subprocess.Popen[bytes]:
    """A worker process provisioning the order, against the test's databases."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url("default"),
        "VAULT_DATABASE_URL": database_url("vault"),
        "ES2PLUS_URL": settings.ES2PLUS_URL,
        "ES2PLUS_TIMEOUT_SECONDS": "30",
        "HUEY_NAME": "faults-test-worker",
    }
    code = (
        "from roamwise.esims.services.provisioning import esim_provision; "
        f"esim_provision(order_id={order.pk})"
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait(condition: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _faults_off() -> Iterator[None]:
    yield
    for system in ("smdp", "gateway"):
        fault_set(system, mode="none", seconds=0)
    # Kept-alive connections hold a live-server thread, and with it a database
    # session that would keep PostgreSQL from dropping the test database.
    http._session.close()


def reserved() -> int:
    return SmdpProfile.objects.exclude(state=ProfileState.AVAILABLE).count()


@pytest.mark.commitment("SIM-01")
@pytest.mark.commitment("ORD-03")
@pytest.mark.commitment("ORD-05")
def test_every_paid_order_ends_fulfilled_or_refunded_through_faults(
    shop: str, settings: object, buyer: Client, plan: Plan, jobs: Callable[[], int]
) -> None:
    settings.SIMULATOR_FAULTS = True  # type: ignore[attr-defined]
    settings.HTTP_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]
    settings.ES2PLUS_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]
    settings.RECOVERY_AFTER_SECONDS = 0  # type: ignore[attr-defined]
    settings.GATEWAY_DUPLICATE_RATE = 0.5  # type: ignore[attr-defined]
    unstocked = Plan.objects.get(destination__code="JP", data_mb=1024)
    Plan.objects.filter(pk=unstocked.pk).update(profile_type="roamwise-unstocked")
    unstocked.refresh_from_db()
    stock_the_batch()  # so that a lost DownloadOrder is settled with SGP.22's functions

    # A: the SM-DP+ reserves a profile, then answers garbage.
    fault_set("smdp", mode="garbage", seconds=120)
    order_a = buy(buyer, plan)
    run_due()
    esim_a = Esim.objects.get(order=order_a)
    assert esim_a.state == EsimState.PREPARING
    assert esim_a.attempts.get(function="downloadOrder").outcome == Es2Attempt.Outcome.UNKNOWN
    assert reserved() == 1
    fault_set("smdp", mode="none", seconds=0)

    # B: its worker is killed in the middle of DownloadOrder, after the SM-DP+ acted.
    with fulfilment_held():
        order_b = buy(buyer, plan)
        run_due()
    fault_set("smdp", mode="slow", seconds=120, delay=5)
    worker = provision_in_a_worker(order_b)
    wait(lambda: reserved() == 2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    fault_set("smdp", mode="none", seconds=0)
    esim_b = Esim.objects.get(order=order_b)
    assert esim_b.attempts.get().outcome == Es2Attempt.Outcome.SENDING  # never closed
    assert esim_b.lease_until is not None and esim_b.lease_until > timezone.now()

    # D: no profile of its type; the processor makes the refund but the answer is lost.
    order_d = buy(buyer, unstocked)
    fault_set("gateway", mode="slow", seconds=120, delay=2)
    run_due(until=lambda: Refund.objects.filter(order=order_d).exists())
    order_d.refresh_from_db()
    assert order_d.status == OrderStatus.FAILED
    assert Refund.objects.get(order=order_d).status == Refund.Status.PENDING
    fault_set("gateway", mode="none", seconds=0)

    # C: paid; then the queue is lost with everything in it (Redis restarted empty).
    order_c = buy(buyer, plan)
    from huey.contrib.djhuey import HUEY

    session_c = Payment.objects.get(order=order_c).processor_ref
    assert not WebhookDelivery.objects.filter(session_id=session_c, attempts__gt=0).exists()
    HUEY.flush()

    # Time passes (moved rather than waited for): the dead worker's lease runs
    # out, and A's retry, whose job went with the queue, falls due.
    Esim.objects.filter(pk=esim_b.pk).update(lease_until=timezone.now())
    Esim.objects.filter(pk=esim_a.pk).update(next_attempt_at=timezone.now())
    sweep(jobs)

    result = tally()
    assert result.violations == [], result.lines()
    assert (result.orders_paid, result.fulfilled, result.refunded) == (4, 3, 1)
    assert result.stuck == [] and result.webhooks_lost == []
    assert result.profiles_reserved == 3  # A, B and C: the lost calls settled, not doubled
    for order in (order_a, order_b, order_c):
        esim = Esim.objects.get(order=order)
        assert esim.state == EsimState.READY, esim.failure_reason
        # A lost DownloadOrder is asked again for the same ICCID, which can reserve nothing more.
        downloads = esim.attempts.filter(function="downloadOrder")
        assert downloads.filter(outcome=Es2Attempt.Outcome.SUCCEEDED).count() == 1
        assert downloads.count() == (1 if order == order_c else 2)
    session = Payment.objects.get(order=order_d).processor_ref
    assert GatewayRefund.objects.filter(session_id=session).count() == 1
    assert Refund.objects.get(order=order_d).status == Refund.Status.SUCCEEDED
    assert WebhookEvent.objects.filter(event_type="payment.succeeded").count() == 4


# --- Each recovery on its own -----------------------------------------------------------


@pytest.mark.commitment("ORD-05")
def test_a_failed_order_whose_refund_job_was_lost_is_refunded_once(
    shop: str, settings: object, buyer: Client, jobs: Callable[[], int]
) -> None:
    """The job that refunds a failed order went with the queue; the sweep refunds
    it, and an SM-DP+ that cannot take the profile back does not hold the money."""
    from django.core import mail
    from huey.contrib.djhuey import HUEY

    settings.RECOVERY_AFTER_SECONDS = 0  # type: ignore[attr-defined]
    unstocked = Plan.objects.get(destination__code="JP", data_mb=1024)
    Plan.objects.filter(pk=unstocked.pk).update(profile_type="roamwise-unstocked")
    order = buy(buyer, unstocked)
    run_due(until=lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.FAILED).exists())
    HUEY.flush()  # the refund job is lost
    esim = Esim.objects.get(order=order)
    esim.iccid = "8944990000000009998"  # a profile the SM-DP+ will not cancel
    esim.save(update_fields=["iccid", "iccid_index"])
    assert not Refund.objects.filter(order=order).exists()

    assert provisioning_sweep.call_local() == 1
    jobs()
    assert provisioning_sweep.call_local() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Refund.objects.get(order=order).status == Refund.Status.SUCCEEDED
    assert sum("full refund" in m.subject for m in mail.outbox) == 1


def test_the_fulfilment_sweep_leaves_a_waiting_retry_to_its_backoff(
    smdp: object, buyer: Client, plan: Plan, jobs: Callable[[], int]
) -> None:

    from roamwise.esims.services import provisioning

    with fulfilment_held():
        order = buy(buyer, plan)
        jobs()
    esim = provisioning.esim_for_order(order=order)
    Esim.objects.filter(pk=esim.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=8))

    assert provisioning.esim_fulfil(order.pk).startswith("next try at")
    assert not Es2Attempt.objects.exists()

    Esim.objects.filter(pk=esim.pk).update(next_attempt_at=timezone.now())
    assert provisioning.esim_fulfil(order.pk) == EsimState.READY


@pytest.mark.commitment("SIM-01")
def test_a_notification_whose_delivery_job_was_lost_is_sent_again(
    shop: str, settings: object, buyer: Client, plan: Plan, jobs: Callable[[], int]
) -> None:
    from huey.contrib.djhuey import HUEY

    from roamwise.smdp.services import device_download

    settings.RECOVERY_AFTER_SECONDS = 0  # type: ignore[attr-defined]
    order = buy(buyer, plan)
    jobs()
    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY
    device_download(matching_id=esim.matching_id, eid="89049032123451234512345678901235")
    HUEY.flush()  # the delivery jobs are lost

    assert notifications_redeliver.call_local() == 2  # downloaded, installed
    jobs()

    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED
    assert notifications_redeliver.call_local() == 0


@pytest.mark.commitment("SIM-01")
def test_a_profile_reserved_by_a_lost_call_is_given_back_when_provisioning_gives_up(
    smdp: SmdpProxy, settings: object, buyer: Client, plan: Plan, jobs: Callable[[], int]
) -> None:
    settings.ESIM_PROVISION_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]
    smdp.inject("downloadOrder", "slow")  # it reserves a profile; the answer never comes

    order = buy(buyer, plan)
    jobs()

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.FAILED and esim.iccid
    assert reserved() == 0  # cancelled by the ICCID its lost call asked for
    assert len(smdp.calls("cancelOrder")) == 1

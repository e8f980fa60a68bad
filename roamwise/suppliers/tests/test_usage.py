"""Usage of a wholesaler's eSIM, by the supplier's webhooks and by polling
within its limits, into the same balances, chart and alerts as a network
partner's usage (ADR 0024): the shop and the stand-ins over HTTP on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.esims.models import BYTES_PER_MB, Bundle, Esim, EsimState
from roamwise.suppliers import monitoring
from roamwise.suppliers.models import Allocation, WebhookReceipt
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import MB, EsimAccessStandin
from roamwise.testing.shopping import buy
from roamwise.usage import selectors as usage
from roamwise.usage.models import UsageRecord

from .conftest import WEBHOOK_TOKEN
from .supplying import AIRALO_PACKAGE, ESIMACCESS_PACKAGE, supplied_by, wait_for

pytestmark = pytest.mark.commitment("SIM-03")
ESIMACCESS_WEBHOOK = f"/suppliers/webhooks/esimaccess/{WEBHOOK_TOKEN}/"
AIRALO_WEBHOOK = "/suppliers/webhooks/airalo/"


def two_gigabyte(plan: Plan) -> None:
    """The plan's bundle holds what the stand-ins' French packages hold: 2 GB."""
    Plan.objects.filter(pk=plan.pk).update(data_mb=2048)


def low_data_emails() -> list[Any]:
    return [m for m in mail.outbox if "used 80% of your data" in m.subject]


def bought_from(supplier: str, buyer: Client, plan: Plan, jobs: Any) -> tuple[Esim, Allocation]:
    two_gigabyte(plan)
    order = buy(buyer, plan, jobs)
    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY
    return esim, Allocation.objects.get(order=order, supplier=supplier)


def due_now(allocation: Allocation) -> None:
    """Time passes: the supplier's 20-minute cache is over."""
    Allocation.objects.filter(pk=allocation.pk).update(
        usage_poll_after=timezone.now() - timedelta(seconds=1)
    )


def test_esimaccess_usage_by_polling_and_webhooks_feeds_the_balance_chart_and_alerts(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    esimaccess.webhook_url = f"{shop}{ESIMACCESS_WEBHOOK}"
    esimaccess.allocation_delay = 0
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esim, _ = bought_from("esimaccess", buyer, plan, jobs)

    # Installed and in use, as the supplier tells us (ESIM_STATUS).
    esimaccess.install(esim.iccid)
    wait_for(lambda: Esim.objects.get(pk=esim.pk).state == EsimState.ACTIVE)

    # Polled: 1 GB used so far.
    esimaccess.use_data(esim.iccid, 1024 * MB)
    assert monitoring.usage_poll() == {"esimaccess": 1}
    assert usage.esim_balance(esim=esim).used_bytes == 1024 * BYTES_PER_MB
    # Asked again at once: not before its interval, and nothing sent.
    queries = len(esimaccess.requests_seen)
    assert monitoring.usage_poll() == {"esimaccess": 0}
    assert len(esimaccess.requests_seen) == queries

    # 100 MB or less left: the supplier's DATA_USAGE notification carries the figures.
    esimaccess.use_data(esim.iccid, 950 * MB)
    wait_for(lambda: WebhookReceipt.objects.filter(kind="DATA_USAGE").exists())
    jobs()

    balance = usage.esim_balance(esim=esim)
    assert balance.used_bytes == 1974 * BYTES_PER_MB
    assert balance.remaining_bytes == 74 * BYTES_PER_MB
    (today,) = [used for _, used in usage.daily_usage(esim=esim) if used]
    assert today == 1974 * BYTES_PER_MB
    assert UsageRecord.objects.filter(esim=esim).count() == 2
    (alert,) = low_data_emails()
    assert alert.to == [esim.customer.email]

    # The same notification again, and an older reading after it: nothing doubled.
    (data_usage,) = [b for b, _ in esimaccess.outbox if b"DATA_USAGE" in b]
    again = buyer.post(ESIMACCESS_WEBHOOK, data_usage, content_type="application/json")
    older = json.loads(data_usage)
    older["content"]["orderUsage"] = 1500 * MB
    reordered = buyer.post(ESIMACCESS_WEBHOOK, json.dumps(older), content_type="application/json")
    jobs()
    assert again.json()["outcome"] == "duplicate" and reordered.status_code == 200
    assert usage.esim_balance(esim=esim).used_bytes == 1974 * BYTES_PER_MB
    assert UsageRecord.objects.filter(esim=esim).count() == 2
    assert len(low_data_emails()) == 1

    # The eSIM page says how fresh the figures are.
    page = buyer.get(f"/esims/{esim.public_id}/").content.decode()
    assert 'id="usage-freshness"' in page and "Updated 0\xa0minutes ago" in page


def test_validity_ending_at_esimaccess_sends_the_expiry_alert(
    shop: str, esimaccess: EsimAccessStandin, buyer: Client, plan: Plan, jobs: Any
) -> None:
    from roamwise.usage.tasks import expiry_alerts

    esimaccess.webhook_url = f"{shop}{ESIMACCESS_WEBHOOK}"
    esimaccess.allocation_delay = 0
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esim, _ = bought_from("esimaccess", buyer, plan, jobs)
    ends = timezone.now() + timedelta(hours=20)

    esimaccess.validity_ends(esim.iccid, ends.strftime("%Y-%m-%dT%H:%M:%SZ"))
    wait_for(lambda: WebhookReceipt.objects.filter(kind="VALIDITY_USAGE").exists())
    expiry_alerts.call_local()
    jobs()

    bundle = Bundle.objects.get(esim=esim)
    assert bundle.expires_at == ends.replace(microsecond=0)
    assert bundle.alerted_expiry_at is not None
    assert [m for m in mail.outbox if "ends within a day" in m.subject]


def test_airalo_is_polled_no_more_than_its_cache_allows_and_backs_off_on_429(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    airalo.webhook_url = f"{shop}{AIRALO_WEBHOOK}"
    supplied_by(plan, ("airalo", AIRALO_PACKAGE))
    esim, allocation = bought_from("airalo", buyer, plan, jobs)

    assert monitoring.usage_poll() == {"airalo": 1}
    assert airalo.usage_requests == [esim.iccid]
    allocation.refresh_from_db()
    assert allocation.usage_read_at is not None
    assert allocation.usage_poll_after >= timezone.now() + timedelta(minutes=19)

    # 83 % used: Airalo's signed low-data notification (75 %) asks for a reading,
    # which waits for the end of the 20 minutes rather than ask its cache again.
    airalo.use_data(esim.iccid, 1700)
    wait_for(lambda: WebhookReceipt.objects.filter(kind="low_data").exists())
    jobs()
    assert airalo.usage_requests == [esim.iccid]
    assert usage.esim_balance(esim=esim).used_bytes == 0

    # Twenty minutes later (Airalo's cache is over too): the reading is charged.
    due_now(allocation)
    airalo.usage_cache = 0
    assert monitoring.usage_poll() == {"airalo": 1}
    jobs()
    assert usage.esim_balance(esim=esim).used_bytes == 1700 * BYTES_PER_MB
    assert len(low_data_emails()) == 1

    # Rate limited for an hour: the eSIM is left alone for that hour.
    due_now(allocation)
    airalo.rate_limit, airalo.retry_after = 0, 3600
    assert monitoring.usage_poll() == {"airalo": 0}
    allocation.refresh_from_db()
    assert allocation.usage_poll_after >= timezone.now() + timedelta(minutes=59)
    assert monitoring.usage_poll() == {"airalo": 0}  # not asked again meanwhile


def test_usage_webhooks_for_unknown_iccids_or_malformed_are_refused_and_change_nothing(
    shop: str,
    airalo: AiraloStandin,
    esimaccess: EsimAccessStandin,
    buyer: Client,
    plan: Plan,
    jobs: Any,
) -> None:
    esimaccess.allocation_delay = 0
    supplied_by(plan, ("esimaccess", ESIMACCESS_PACKAGE))
    esim, _ = bought_from("esimaccess", buyer, plan, jobs)

    unknown_low_data = json.dumps({"level": "90%", "iccid": "8999000000000000001"}).encode()
    unknown_at_airalo = buyer.post(
        AIRALO_WEBHOOK,
        unknown_low_data,
        content_type="application/json",
        headers={"airalo-signature": airalo.sign(unknown_low_data)},
    )
    # The eSIM is eSIM Access's: Airalo cannot report on it.
    theirs = json.dumps({"level": "90%", "iccid": esim.iccid}).encode()
    not_airalos = buyer.post(
        AIRALO_WEBHOOK,
        theirs,
        content_type="application/json",
        headers={"airalo-signature": airalo.sign(theirs)},
    )
    unsigned = buyer.post(AIRALO_WEBHOOK, theirs, content_type="application/json")
    unknown_at_esimaccess = buyer.post(
        ESIMACCESS_WEBHOOK,
        {
            "notifyType": "DATA_USAGE",
            "content": {"iccid": "8999000000000000001", "totalVolume": 10, "orderUsage": 5},
        },
        content_type="application/json",
    )
    malformed = [
        buyer.post(
            ESIMACCESS_WEBHOOK,
            {"notifyType": "DATA_USAGE", "content": content},
            content_type="application/json",
        )
        for content in (
            {"iccid": esim.iccid, "totalVolume": "lots", "orderUsage": 5},
            {"iccid": esim.iccid, "orderUsage": 5},
            {"iccid": esim.iccid, "totalVolume": 10, "orderUsage": -5},
        )
    ]
    bad_validity = buyer.post(
        ESIMACCESS_WEBHOOK,
        {"notifyType": "VALIDITY_USAGE", "content": {"iccid": esim.iccid, "expiredTime": "soon"}},
        content_type="application/json",
    )

    assert [r.status_code for r in (unknown_at_airalo, not_airalos, unknown_at_esimaccess)] == [
        404
    ] * 3
    assert unsigned.status_code == 400
    assert [r.status_code for r in malformed] == [400] * 3
    assert bad_validity.status_code == 400
    assert WebhookReceipt.objects.exclude(kind="ORDER_STATUS").count() == 0
    assert not UsageRecord.objects.exists()
    assert Bundle.objects.get(esim=esim).expires_at is None


def test_the_standins_simulate_traffic_for_a_demo(
    db: None, airalo: AiraloStandin, esimaccess: EsimAccessStandin
) -> None:
    import time

    from roamwise.suppliers.airalo import Airalo
    from roamwise.suppliers.esimaccess import EsimAccess

    airalo.traffic_mb_per_hour = esimaccess.traffic_mb_per_hour = 3600 * 1000  # 1 GB a second
    airalo.usage_cache = 0
    esimaccess.allocation_delay = 0
    sold = Airalo.from_settings().order(package_id=AIRALO_PACKAGE, transaction_id="t-1")
    allocated = EsimAccess.from_settings()
    allocated.order(package_id=ESIMACCESS_PACKAGE, transaction_id="t-2")
    assert sold.install is not None
    time.sleep(0.2)
    (ordered,) = esimaccess.orders.values()
    allocated.order_status(reference=ordered.order_no)  # allocated from now
    assert ordered.esim is not None
    time.sleep(2.2)

    airalo_usage = Airalo.from_settings().usage(iccid=sold.install.iccid)
    esimaccess_usage = allocated.usage(iccid=ordered.esim["iccid"])

    assert airalo_usage.used_mb == 2048 and airalo_usage.remaining_mb == 0
    levels = [json.loads(body)["level"] for body, _ in airalo.outbox]
    assert levels == ["90%"]  # crossed 75 % and 90 % at once: the last level is told
    assert esimaccess_usage.used_mb >= 2000
    assert [json.loads(body)["notifyType"] for body, _ in esimaccess.outbox] == [
        "ORDER_STATUS",
        "DATA_USAGE",
    ]

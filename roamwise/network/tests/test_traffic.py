"""The simulator's traffic reaches the shop over the partner API."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.catalog.geography import DEMO_COUNTRIES
from roamwise.catalog.models import Plan
from roamwise.network import services as network
from roamwise.network import traffic
from roamwise.network.models import NetworkBundle
from roamwise.testing.lines import esim_on_line, iccid
from roamwise.usage import services as usage
from roamwise.usage.models import UsageRecord


@pytest.mark.commitment("SIM-05")
def test_simulated_sessions_are_sent_to_the_shop_and_follow_the_day(
    shop: str, alice: User, plan: Plan
) -> None:
    _, key = usage.partner_create(code="sim", name="Simulated network", iccid_prefixes="8944990")
    line = iccid(5)
    esim_on_line(alice, plan, line)
    network.bundle_add(
        iccid=line, reference="plan-1", data_mb=None, validity_days=30, coverage=["FR"]
    )
    NetworkBundle.objects.update(added_at=timezone.now() - dt.timedelta(hours=80))
    out = io.StringIO()
    call_command(
        "simulate_usage", "--key", key, "--url", shop, "--hours", "72", "--seed", "7", stdout=out
    )
    assert "rejected" in out.getvalue() and " 0 rejected" in out.getvalue()
    records = list(UsageRecord.objects.all())
    assert len(records) > 20
    french = {mcc_mnc for _, mcc_mnc in DEMO_COUNTRIES["FR"][1]}
    assert {r.visited_network for r in records} <= french
    by_hour: Counter[int] = Counter()
    for r in records:
        by_hour[r.session_start.hour] += r.bytes_total
    night = sum(by_hour[h] for h in (1, 2, 3, 4))
    day = sum(by_hour[h] for h in (10, 11, 12, 13))
    assert day > night * 3
    # Sending the same hours again is harmless.
    call_command(
        "simulate_usage", "--key", key, "--url", shop, "--hours", "72", "--seed", "7",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert UsageRecord.objects.count() <= len(records) + 3


def _minute_by_minute(since: dt.datetime, minutes: int, *, seed: int) -> list[list[dict]]:
    """What a sender running every minute from ``since`` sends, tick by tick."""
    tick = dt.timedelta(minutes=1)
    return [
        list(
            traffic.sessions(
                iccid=iccid(5),
                coverage=["FR"],
                start=since + n * tick,
                end=since + (n + 1) * tick,
                seed=seed,
                since=since,
            )
        )
        for n in range(minutes)
    ]


@pytest.mark.commitment("SIM-05")
@pytest.mark.parametrize("hour", [3, 14])
def test_a_sender_ticking_every_minute_reports_usage_within_two_minutes_of_service(
    hour: int,
) -> None:
    since = dt.datetime(2026, 11, 20, hour, 17, 30, tzinfo=dt.UTC)
    ticks = _minute_by_minute(since, 2, seed=11)
    sent = [r for tick in ticks for r in tick]
    assert sent and sum(r["bytes_down"] for r in sent) > 0
    for n, tick in enumerate(ticks):
        for r in tick:
            start = dt.datetime.fromisoformat(r["session_start"])
            end = dt.datetime.fromisoformat(r["session_end"])
            assert since + dt.timedelta(minutes=n) <= start < end
            assert end <= since + dt.timedelta(minutes=n + 1)


@pytest.mark.commitment("SIM-05")
def test_the_parts_sent_each_minute_add_up_to_what_an_hour_at_once_sends() -> None:
    since = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)
    at_once = list(
        traffic.sessions(
            iccid=iccid(5),
            coverage=["FR"],
            start=since,
            end=since + dt.timedelta(hours=1),
            seed=3,
        )
    )
    parts = [r for tick in _minute_by_minute(since, 60, seed=3) for r in tick]
    assert len({r["record_id"] for r in parts}) == len(parts)

    def totals(sent: list[dict]) -> dict[str, int]:
        by_network: dict[str, int] = defaultdict(int)
        for r in sent:
            by_network[r["visited_network"]] += r["bytes_up"] + r["bytes_down"]
        return dict(by_network)

    assert len(at_once) >= 2
    assert totals(parts) == totals(at_once)

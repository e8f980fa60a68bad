"""The simulator's traffic reaches the shop over the partner API."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command

from roamwise.accounts.models import User
from roamwise.catalog.geography import DEMO_COUNTRIES
from roamwise.catalog.models import Plan
from roamwise.network import services as network
from roamwise.usage import services as usage
from roamwise.usage.models import UsageRecord
from roamwise.usage.tests.conftest import esim_on_line, iccid


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
    out = io.StringIO()
    call_command(
        "simulate_usage", "--key", key, "--url", shop, "--hours", "72", "--seed", "7", stdout=out
    )
    assert "rejected" in out.getvalue() and " 0 rejected" in out.getvalue()
    records = list(UsageRecord.objects.all())
    assert len(records) > 20
    french = {mcc_mnc for _, mcc_mnc in DEMO_COUNTRIES["FR"][1]}
    assert {r.visited_network for r in records} <= french
    by_hour = Counter(r.session_start.hour for r in records)
    night = sum(by_hour[h] for h in (1, 2, 3, 4))
    day = sum(by_hour[h] for h in (10, 11, 12, 13))
    assert day > night * 3
    # Sending the same hours again is harmless.
    call_command(
        "simulate_usage", "--key", key, "--url", shop, "--hours", "72", "--seed", "7",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert UsageRecord.objects.count() <= len(records) + 3

"""Made-up but plausible traffic for the simulator's lines: sessions through
the day with a night-time lull, on the networks of the countries a line's
bundles cover, reported to the shop as a network partner would."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from typing import Any

from roamwise.catalog.geography import DEMO_COUNTRIES

from .models import NetworkSubscription, SubscriptionState

# How busy each hour of the day (UTC) is, from 0 (nobody) to 1 (peak).
HOURLY = (
    0.10, 0.05, 0.03, 0.03, 0.05, 0.10, 0.30, 0.60, 0.80, 0.90, 1.00, 1.00,
    1.00, 0.90, 0.90, 1.00, 1.00, 1.00, 1.00, 1.00, 0.90, 0.70, 0.40, 0.20,
)  # fmt: skip
TYPICAL_SESSION_BYTES = 12 * 1024 * 1024


def networks_for(coverage: list[str]) -> list[str]:
    """MCC-MNCs of the covered countries the simulator knows; any if none."""
    known = [code for code in coverage if code in DEMO_COUNTRIES]
    countries = known or sorted(DEMO_COUNTRIES)
    return [mcc_mnc for code in countries for _, mcc_mnc in DEMO_COUNTRIES[code][1]]


def lines() -> list[tuple[str, list[str]]]:
    """(ICCID, covered countries) of each active line that has a bundle."""
    found = []
    for line in NetworkSubscription.objects.filter(state=SubscriptionState.ACTIVE).prefetch_related(
        "bundles"
    ):
        bundles = list(line.bundles.all())
        if bundles:
            coverage = sorted({code for b in bundles for code in b.coverage.split()})
            found.append((line.iccid, coverage))
    return found


def sessions(
    *, iccid: str, coverage: list[str], start: dt.datetime, end: dt.datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Usage records for one line over [start, end), hour by hour."""
    networks = networks_for(coverage)
    # A traveller stays on one network most of the time.
    home = rng.choice(networks)
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        weight = HOURLY[hour.hour]
        for n in range(3):
            if rng.random() >= weight * 0.6:
                continue
            begin = hour + dt.timedelta(minutes=rng.randrange(0, 50))
            finish = begin + dt.timedelta(minutes=rng.randrange(1, 10))
            if begin < start or finish > end:
                continue
            down = int(rng.lognormvariate(0, 1) * TYPICAL_SESSION_BYTES * weight)
            stamp = f"{iccid}:{hour:%Y%m%d%H}:{n}"
            yield {
                # The same hour simulated twice gives the same ids: resends are harmless.
                "record_id": "sim-" + hashlib.sha256(stamp.encode()).hexdigest()[:24],
                "iccid": iccid,
                "session_start": begin.isoformat(),
                "session_end": finish.isoformat(),
                "bytes_up": down // rng.randint(6, 20),
                "bytes_down": down,
                "visited_network": home if rng.random() < 0.9 else rng.choice(networks),
            }
        hour += dt.timedelta(hours=1)

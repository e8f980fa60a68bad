"""Made-up but plausible traffic for the simulator's lines: sessions through
the day with a night-time lull, on the networks of the countries a line's
bundles cover, reported to the shop as a network partner would."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from roamwise.catalog.geography import DEMO_COUNTRIES

from .models import NetworkSubscription, SubscriptionState

# How busy each hour of the day (UTC) is, from 0 (nobody) to 1 (peak).
HOURLY = (
    0.10, 0.05, 0.03, 0.03, 0.05, 0.10, 0.30, 0.60, 0.80, 0.90, 1.00, 1.00,
    1.00, 0.90, 0.90, 1.00, 1.00, 1.00, 1.00, 1.00, 0.90, 0.70, 0.40, 0.20,
)  # fmt: skip
TYPICAL_SESSION_BYTES = 12 * 1024 * 1024
# An hour of a phone's background traffic at the busiest time of day.
BACKGROUND_BYTES = 3 * 1024 * 1024


def networks_for(coverage: list[str]) -> list[str]:
    """MCC-MNCs of the covered countries the simulator knows; any if none."""
    known = [code for code in coverage if code in DEMO_COUNTRIES]
    countries = known or sorted(DEMO_COUNTRIES)
    return [mcc_mnc for code in countries for _, mcc_mnc in DEMO_COUNTRIES[code][1]]


@dataclass(frozen=True, slots=True)
class Line:
    iccid: str
    coverage: list[str]
    # When the line got its first bundle: it carries no traffic before.
    in_service_since: dt.datetime


def lines() -> list[Line]:
    """Each active line that has a bundle."""
    found = []
    for line in NetworkSubscription.objects.filter(state=SubscriptionState.ACTIVE).prefetch_related(
        "bundles"
    ):
        bundles = list(line.bundles.all())
        if bundles:
            coverage = sorted({code for b in bundles for code in b.coverage.split()})
            since = min(b.added_at for b in bundles)
            found.append(Line(line.iccid, coverage, since))
    return found


@dataclass(frozen=True, slots=True)
class Session:
    number: int
    begin: dt.datetime
    finish: dt.datetime
    bytes_down: int
    bytes_up: int
    network: str


def _hour_sessions(
    *, iccid: str, hour: dt.datetime, seed: int, home: str, networks: list[str]
) -> list[Session]:
    """The whole sessions that begin in one hour of one line.

    Drawn from a generator seeded by the line and the hour alone, so every
    window that looks at this hour sees the same sessions, whatever its bounds.
    """
    rng = random.Random(f"{seed}:{iccid}:{hour:%Y%m%d%H}")
    weight = HOURLY[hour.hour]
    # The phone's data connection stays up all hour: background traffic (push,
    # sync) that never stops, small at night.
    background = int(rng.lognormvariate(0, 0.5) * BACKGROUND_BYTES * max(weight, 0.05)) + 1
    found = [Session(0, hour, hour + dt.timedelta(hours=1), background, background // 8, home)]
    for n in range(1, 4):
        busy = rng.random() < weight * 0.6
        begin = hour + dt.timedelta(minutes=rng.randrange(0, 50))
        finish = begin + dt.timedelta(minutes=rng.randrange(1, 10))
        down = int(rng.lognormvariate(0, 1) * TYPICAL_SESSION_BYTES * weight)
        up = down // rng.randint(6, 20)
        # A traveller stays on one network most of the time.
        network = home if rng.random() < 0.9 else rng.choice(networks)
        if busy:
            found.append(Session(n, begin, finish, down, up, network))
    return found


def _share(total: int, session: Session, upto: dt.datetime) -> int:
    """The bytes of ``session`` sent before ``upto``, the traffic spread evenly;
    whole numbers that add up to ``total`` over consecutive parts."""
    length = (session.finish - session.begin) // dt.timedelta(microseconds=1)
    done = (upto - session.begin) // dt.timedelta(microseconds=1)
    return total * done // length


def sessions(
    *,
    iccid: str,
    coverage: list[str],
    start: dt.datetime,
    end: dt.datetime,
    seed: int,
    since: dt.datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Usage records for one line over [start, end).

    A session still going at ``end``, or begun before ``start``, is reported
    for its part inside the window, as a network sends interim records for a
    long session (3GPP TS 32.251 partial CDRs): a sender that runs every minute
    reports every minute's traffic, and the parts of consecutive windows add up
    to the whole session.
    """
    if since is not None:
        start = max(start, since)
    networks = networks_for(coverage)
    home = random.Random(f"{seed}:{iccid}").choice(networks)
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        for session in _hour_sessions(
            iccid=iccid, hour=hour, seed=seed, home=home, networks=networks
        ):
            part_start = max(session.begin, start)
            part_end = min(session.finish, end)
            if part_start >= part_end:
                continue
            down = _share(session.bytes_down, session, part_end) - _share(
                session.bytes_down, session, part_start
            )
            up = _share(session.bytes_up, session, part_end) - _share(
                session.bytes_up, session, part_start
            )
            # The same part simulated twice gives the same id: resends are harmless.
            stamp = f"{iccid}:{hour:%Y%m%d%H}:{session.number}:{part_start.isoformat()}"
            yield {
                "record_id": "sim-" + hashlib.sha256(stamp.encode()).hexdigest()[:24],
                "iccid": iccid,
                "session_start": part_start.isoformat(),
                "session_end": part_end.isoformat(),
                "bytes_up": up,
                "bytes_down": down,
                "visited_network": session.network,
            }
        hour += dt.timedelta(hours=1)

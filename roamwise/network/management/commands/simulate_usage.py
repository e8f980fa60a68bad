"""The network partner simulator reports traffic on its lines to the shop,
over the shop's partner API, as a real network would.

``manage.py simulate_usage --key KEY`` sends the last 24 hours once;
``--follow`` then keeps sending what each interval brings until interrupted.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roamwise.core.http import TransportError, request_json
from roamwise.network import traffic

BATCH = 5_000


class Command(BaseCommand):
    help = "Generate plausible data sessions for the simulator's lines and send them to the shop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", required=True, help="the partner API key the shop gave")
        parser.add_argument("--url", default="", help="the shop (default: SITE_URL)")
        parser.add_argument("--hours", type=int, default=24, help="how far back to start")
        parser.add_argument("--follow", action="store_true", help="keep sending, every interval")
        parser.add_argument("--interval", type=int, default=300, help="seconds between sends")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["hours"] <= 24 * 90:
            raise CommandError("--hours must be between 1 and 2160.")
        if not 10 <= options["interval"] <= 86_400:
            raise CommandError("--interval must be between 10 and 86400 seconds.")
        url = (options["url"] or settings.SITE_URL).rstrip("/") + "/api/v1/usage/records"
        # Made-up traffic: no need for a cryptographic generator. One seed for
        # the whole run, so every tick sees the same sessions of an hour.
        seed = options["seed"] if options["seed"] is not None else random.randrange(2**32)
        end = timezone.now()
        start = end - dt.timedelta(hours=options["hours"])
        while True:
            self._send(url, options["key"], start, end, seed)
            if not options["follow"]:
                return
            try:
                time.sleep(options["interval"])
            except KeyboardInterrupt:
                return
            start, end = end, timezone.now()

    def _send(self, url: str, key: str, start: dt.datetime, end: dt.datetime, seed: int) -> None:
        records = [
            session
            for line in traffic.lines()
            for session in traffic.sessions(
                iccid=line.iccid,
                coverage=line.coverage,
                start=start,
                end=end,
                seed=seed,
                since=line.in_service_since,
            )
        ]
        accepted = duplicates = rejected = 0
        for first in range(0, len(records), BATCH):
            try:
                answer = request_json(
                    "POST",
                    url,
                    json={"records": records[first : first + BATCH]},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=60,
                )
            except TransportError as exc:
                raise CommandError(f"The shop refused or did not answer: {exc}") from exc
            accepted += answer["accepted"]
            duplicates += answer["duplicates"]
            rejected += answer["rejected"]
        self.stdout.write(
            f"{end:%Y-%m-%d %H:%M}: {len(records)} sessions sent: {accepted} accepted, "
            f"{duplicates} duplicates, {rejected} rejected"
        )

"""Serve one supplier's stand-in alone, on loopback, as its own process
(``manage.py serve`` starts one for each wholesaler SIMULATORS names)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.esimgo import EsimGoStandin
from roamwise.suppliers.standins.server import FaultSwitch, make_standin_server

STANDINS = ("airalo", "esimaccess", "esimgo")
DEFAULT_PACKAGES = 20


def configured_standin(
    supplier: str, *, webhook_url: str = "", packages: int = DEFAULT_PACKAGES
) -> EsimAccessStandin | AiraloStandin | EsimGoStandin:
    """The stand-in as the shop's settings expect it: it accepts the shop's
    credentials, when set, and its catalogue is the same in every process
    (built from ``packages`` alone), so the one imported is the one served."""
    standin: EsimAccessStandin | AiraloStandin | EsimGoStandin
    if supplier == "esimgo":
        standin = EsimGoStandin(webhook_url=webhook_url, bundle_count=packages)
        standin.api_key = settings.ESIMGO_API_KEY or standin.api_key
    elif supplier == "esimaccess":
        standin = EsimAccessStandin(webhook_url=webhook_url, package_count=packages)
        standin.access_code = settings.ESIMACCESS_ACCESS_CODE or standin.access_code
    else:
        standin = AiraloStandin(webhook_url=webhook_url, package_count=packages)
        standin.client_id = settings.AIRALO_CLIENT_ID or standin.client_id
        standin.client_secret = settings.AIRALO_CLIENT_SECRET or standin.client_secret
    return standin


class Command(BaseCommand):
    help = "Run a supplier's stand-in (eSIM Access, Airalo or eSIM Go protocol) on 127.0.0.1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("supplier", choices=STANDINS)
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--webhook-url", default="", help="where to deliver notifications")
        parser.add_argument(
            "--packages", type=int, default=DEFAULT_PACKAGES, help="size of the catalogue"
        )
        parser.add_argument(
            "--traffic",
            type=float,
            default=0,
            help="data each eSIM sold uses, in MB an hour (usage and low-data notifications)",
        )
        parser.add_argument(
            "--duplicate-rate",
            type=float,
            default=0.0,
            help="share of notifications sent twice, the copy later (fault injection)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        standin = configured_standin(
            options["supplier"], webhook_url=options["webhook_url"], packages=options["packages"]
        )
        standin.traffic_mb_per_hour = options["traffic"]
        standin.duplicate_rate = options["duplicate_rate"]
        # The fault switch and ledger of bench/faults.py, only with SIMULATOR_FAULTS (ADR 0017).
        app = FaultSwitch(standin) if settings.SIMULATOR_FAULTS else standin
        try:
            server = make_standin_server(app, port=options["port"])
        except OSError as exc:
            raise CommandError(f"cannot listen on port {options['port']}: {exc}") from exc
        self.stdout.write(
            f"{options['supplier']} stand-in on http://127.0.0.1:{server.server_port}"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

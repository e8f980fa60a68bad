"""Serve one supplier's stand-in alone, on loopback, as its own process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.server import make_standin_server

STANDINS = ("airalo", "esimaccess")


class Command(BaseCommand):
    help = "Run a supplier's stand-in (eSIM Access or Airalo protocol) on 127.0.0.1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("supplier", choices=STANDINS)
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--webhook-url", default="", help="where to deliver notifications")
        parser.add_argument("--packages", type=int, default=20, help="size of the catalogue")
        parser.add_argument(
            "--traffic",
            type=float,
            default=0,
            help="data each eSIM sold uses, in MB an hour (usage and low-data notifications)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        standin: EsimAccessStandin | AiraloStandin
        # The shop's own credentials, when set, so that the stand-in accepts them.
        if options["supplier"] == "esimaccess":
            standin = EsimAccessStandin(
                webhook_url=options["webhook_url"], package_count=options["packages"]
            )
            standin.access_code = settings.ESIMACCESS_ACCESS_CODE or standin.access_code
        else:
            standin = AiraloStandin(
                webhook_url=options["webhook_url"], package_count=options["packages"]
            )
            standin.client_id = settings.AIRALO_CLIENT_ID or standin.client_id
            standin.client_secret = settings.AIRALO_CLIENT_SECRET or standin.client_secret
        standin.traffic_mb_per_hour = options["traffic"]
        try:
            server = make_standin_server(standin, port=options["port"])
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

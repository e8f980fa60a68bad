"""Serve the SM-DP+ simulator alone on its own port, optionally with mutual TLS."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.core.management.commands.serve import web_server_command
from roamwise.core.stand_ins import STAND_INS


class Command(BaseCommand):
    help = "Run the SM-DP+ simulator alone (gunicorn), with TLS and client certificates if given."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8443")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--certfile", help="server certificate (PEM)")
        parser.add_argument("--keyfile", help="server key (PEM)")
        parser.add_argument("--client-ca", help="require client certificates signed by this CA")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["certfile"]) != bool(options["keyfile"]):
            raise CommandError("--certfile and --keyfile go together")
        if options["client_ca"] and not options["certfile"]:
            raise CommandError("--client-ca needs TLS: give --certfile and --keyfile too")
        # The one command line every gunicorn of the project starts with
        # (threaded workers, no control socket in $HOME, redacting logger).
        command = web_server_command(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            quiet=True,
        )
        if options["certfile"]:
            command += ["--certfile", options["certfile"], "--keyfile", options["keyfile"]]
            if options["client_ca"]:
                # ssl.CERT_REQUIRED: no client certificate, no connection (mutual TLS).
                command += ["--ca-certs", options["client_ca"], "--cert-reqs", "2"]
        env = {**os.environ, "ROAMWISE_ROOT_URLCONF": STAND_INS["smdp"].urlconf}
        raise SystemExit(subprocess.call(command, env=env))  # noqa: S603 - fixed arguments

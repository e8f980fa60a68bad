"""Serve the SM-DP+ simulator alone on its own port, optionally with mutual TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the SM-DP+ simulator alone (gunicorn), with TLS and client certificates if given."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8443")
        parser.add_argument("--certfile", help="server certificate (PEM)")
        parser.add_argument("--keyfile", help="server key (PEM)")
        parser.add_argument("--client-ca", help="require client certificates signed by this CA")

    def handle(self, *args: Any, **options: Any) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "roamwise.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            "2",
        ]
        if options["certfile"]:
            command += ["--certfile", options["certfile"], "--keyfile", options["keyfile"]]
            if options["client_ca"]:
                # ssl.CERT_REQUIRED: no client certificate, no connection (mutual TLS).
                command += ["--ca-certs", options["client_ca"], "--cert-reqs", "2"]
        env = {**os.environ, "ROAMWISE_ROOT_URLCONF": "roamwise.smdp.standalone_urls"}
        raise SystemExit(subprocess.call(command, env=env))  # noqa: S603 - fixed arguments

"""Serve the simulated payment processor alone on its own port."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from django.core.management.base import BaseCommand

from roamwise.core.management.commands.serve import web_server_command
from roamwise.core.stand_ins import STAND_INS


class Command(BaseCommand):
    help = "Run the simulated payment processor alone (gunicorn); set GATEWAY_URL to reach it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8444")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        command = web_server_command(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            quiet=True,
        )
        env = {**os.environ, "ROAMWISE_ROOT_URLCONF": STAND_INS["gateway"].urlconf}
        raise SystemExit(subprocess.call(command, env=env))  # noqa: S603 - fixed arguments

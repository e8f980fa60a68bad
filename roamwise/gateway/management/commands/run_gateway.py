"""Serve the simulated payment processor alone on its own port."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the simulated payment processor alone (gunicorn); set GATEWAY_URL to reach it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8444")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "roamwise.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
        ]  # fmt: skip
        env = {**os.environ, "ROAMWISE_ROOT_URLCONF": "roamwise.gateway.standalone_urls"}
        raise SystemExit(subprocess.call(command, env=env))  # noqa: S603 - fixed arguments

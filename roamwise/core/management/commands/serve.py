"""Serve the site like production does: gunicorn for HTTP, a Huey consumer for jobs.

Both run as child processes; Ctrl-C (or SIGTERM) stops both and waits for them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from roamwise.core.env import env_int, env_str


def web_server_command(*, bind: str, workers: int) -> list[str]:
    """The production web server as this command starts it (bench/storefront.py too)."""
    return [
        sys.executable, "-m", "gunicorn", "roamwise.wsgi:application",
        "--bind", bind, "--workers", str(workers),
        "--access-logfile", "-", "--graceful-timeout", "10",
        # Access and error lines without the one-time secrets of token links.
        "--logger-class", "roamwise.core.logredact.GunicornLogger",
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Run gunicorn and the Huey job consumer together until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=env_str("BIND") or "127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=env_int("WEB_WORKERS", 2, minimum=1))
        parser.add_argument(
            "--simulate-usage-key",
            default="",
            help="also run the network simulator's traffic, reported with this partner key (demo)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # gunicorn runs no system checks; a broken data map must stop us here.
        call_command("check", fail_level="ERROR")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "roamwise.settings"}
        web = web_server_command(bind=options["bind"], workers=options["workers"])
        jobs = [sys.executable, "-m", "django", "run_huey"]
        children = {
            "web server": subprocess.Popen(web, env=env),
            "job consumer": subprocess.Popen(jobs, env=env),
        }
        if options["simulate_usage_key"]:
            host, _, port = options["bind"].rpartition(":")
            shop = f"http://{host or '127.0.0.1'}:{port}"
            simulate = [
                sys.executable, "-m", "django", "simulate_usage", "--follow", "--interval", "60",
                "--url", shop, "--key", options["simulate_usage_key"],
            ]  # fmt: skip
            children["usage simulator"] = subprocess.Popen(simulate, env=env)
        self.stdout.write(
            f"Serving on http://{options['bind']}/ with a job consumer. Ctrl-C stops."
        )

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        stopped_by_signal = (0, -signal.SIGINT, -signal.SIGTERM)
        failed = [
            name for name, child in children.items() if child.returncode not in stopped_by_signal
        ]
        if failed:
            self.stderr.write(f"Stopped because this exited with an error: {', '.join(failed)}")

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

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run gunicorn and the Huey job consumer together until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "roamwise.settings"}
        web = [
            sys.executable, "-m", "gunicorn", "roamwise.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--graceful-timeout", "10",
        ]  # fmt: skip
        jobs = [sys.executable, "-m", "django", "run_huey"]
        children = [subprocess.Popen(web, env=env), subprocess.Popen(jobs, env=env)]
        self.stdout.write(f"Serving on http://{options['bind']}/ with a job consumer. Ctrl-C stops.")

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [child.args[2] for child in children if child.returncode not in (0, -2, -15, None)]
        if failed:
            self.stderr.write(f"stopped because a process exited: {failed}")

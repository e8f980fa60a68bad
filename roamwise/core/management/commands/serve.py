"""Serve the site like production does: gunicorn for HTTP, a Huey consumer for jobs.

For the demo, each stand-in for an outside party that ``SIMULATORS`` names
runs beside them as its own process on its own port (ADR 0018), where the
shop's outbound addresses point: the shop never answers its own outbound calls.

Every child runs in a process group of its own, so that Ctrl-C reaches this
command alone; it stops each child once, waits for all of them and says
nothing more unless one of them failed.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

from roamwise.core.env import env_int, env_str
from roamwise.core.stand_ins import STAND_INS

# Two processes of sixteen threads: up to 32 requests at once, each of which
# may wait on an outside party without holding the others (ADR 0018).
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 16


def web_server_command(*, bind: str, workers: int, threads: int, quiet: bool = False) -> list[str]:
    """The production web server as this command starts it, for the shop and
    each stand-in (bench/storefront.py, bench/faults.py and run_gateway too).

    Threaded workers: a request waiting on an outside party (the payment
    processor, up to HTTP_TIMEOUT_SECONDS) holds one thread, not a whole
    process, so the site keeps answering meanwhile (ADR 0018).
    """
    command = [
        sys.executable, "-m", "gunicorn", "roamwise.wsgi:application",
        "--bind", bind, "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads),
        "--graceful-timeout", "10",
        # The control socket's default is one path in $HOME, shared by every
        # gunicorn on the machine; nothing here uses it.
        "--no-control-socket",
        # Access and error lines without the one-time secrets of token links.
        "--logger-class", "roamwise.core.logredact.GunicornLogger",
    ]  # fmt: skip
    # A stand-in's console says only what went wrong; the shop's logs each request.
    command += ["--log-level", "warning"] if quiet else ["--access-logfile", "-"]
    return command


@dataclass(frozen=True)
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    # What stops it cleanly: gunicorn and Huey finish what they are doing on
    # SIGTERM; the usage simulator has nothing to finish.
    stop_signal: int = signal.SIGTERM
    # The shop goes on when it ends (a wholesaler's stand-in stopped for the demo).
    may_stop: bool = False


def stand_in_children(*, threads: int, env: dict[str, str]) -> list[Child]:
    """One process for each stand-in SIMULATORS names, at its port, serving its URLs only."""
    children = []
    for name in settings.SIMULATORS:
        stand_in, port = STAND_INS[name], settings.SIMULATOR_PORTS[name]
        if stand_in.command:
            # A wholesaler's stand-in: its own small server, which notifies the shop.
            command = [
                sys.executable, "-m", "django", stand_in.command, name,
                "--port", str(port), "--webhook-url", supplier_webhook_url(name),
            ]  # fmt: skip
            children.append(
                Child(f"{stand_in.party} stand-in", command, env, may_stop=stand_in.may_stop)
            )
            continue
        children.append(
            Child(
                name=f"{stand_in.party} stand-in",
                command=web_server_command(
                    bind=f"127.0.0.1:{port}", workers=1, threads=threads, quiet=True
                ),
                env={**env, "ROAMWISE_ROOT_URLCONF": stand_in.urlconf},
            )
        )
    return children


def supplier_webhook_url(name: str) -> str:
    """Where a wholesaler's stand-in sends its notifications: the shop's webhook."""
    if name == "esimaccess":
        path = reverse("suppliers:esimaccess-webhook", args=[settings.ESIMACCESS_WEBHOOK_TOKEN])
    else:
        path = reverse(f"suppliers:{name}-webhook")
    return f"{settings.SITE_URL}{path}"


def _stop_with_parent() -> None:
    """In the child, before it starts: on Linux, SIGTERM when this command dies
    without stopping it (kill -9), rather than an orphan holding its port."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


ROLES = ("all", "web", "worker", "scheduler")


def role_children(
    role: str, *, bind: str, workers: int, threads: int, env: dict[str, str]
) -> list[Child]:
    """The processes one machine runs in ``role``: any number of web and worker
    machines, and a scheduler (more than one is safe, core/tasks.py)."""
    consumer = [sys.executable, "-m", "django", "run_huey"]
    children = []
    if role in ("all", "web"):
        command = web_server_command(bind=bind, workers=workers, threads=threads)
        children.append(Child("web server", command, env))
    if role in ("all", "scheduler"):
        children.append(Child("job consumer and scheduler", consumer, env))
    if role == "worker":
        children.append(Child("job consumer", [*consumer, "--no-periodic"], env))
    if role == "all":
        # The stand-ins are other parties: their requests are not the shop's metrics.
        children += stand_in_children(
            threads=threads,
            env={k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        )
    return children


def metrics_directory(*, fresh: bool) -> Path:
    """Where the web workers and the job consumers of this machine write their
    metrics for ``/metrics`` to add up (core/metrics.py). ``fresh`` (one serve
    runs everything here) empties it, as the processes that wrote there are
    gone; roles started apart share it and keep what the others wrote."""
    directory = Path(settings.DATA_DIR) / "metrics"
    if fresh:
        shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Command(BaseCommand):
    help = "Run gunicorn, the Huey job consumer and the named stand-ins until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=env_str("BIND") or "127.0.0.1:8000")
        parser.add_argument(
            "--workers", type=int, default=env_int("WEB_WORKERS", DEFAULT_WORKERS, minimum=1)
        )
        parser.add_argument(
            "--threads", type=int, default=env_int("WEB_THREADS", DEFAULT_THREADS, minimum=1)
        )
        parser.add_argument(
            "--role",
            choices=ROLES,
            default=env_str("SERVE_ROLE") or "all",
            help="all: everything on this machine (the default); web: gunicorn only; worker: "
            "a job consumer without the schedule; scheduler: a job consumer that also "
            "enqueues the periodic jobs (each still runs once a period, see core/tasks.py)",
        )
        parser.add_argument(
            "--simulate-usage-key",
            default="",
            help="also run the network simulator's traffic, reported with this partner key (demo)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # gunicorn runs no system checks; a broken data map must stop us here.
        call_command("check", fail_level="ERROR")
        role = options["role"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "roamwise.settings",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_directory(fresh=role == "all")),
        }
        bind, threads = options["bind"], options["threads"]
        children = role_children(
            role, bind=bind, workers=options["workers"], threads=threads, env=env
        )
        if options["simulate_usage_key"]:
            host, _, port = bind.rpartition(":")
            simulate = [
                sys.executable, "-m", "django", "simulate_usage", "--follow", "--interval", "60",
                "--url", f"http://{host or '127.0.0.1'}:{port}",
                "--key", options["simulate_usage_key"],
            ]  # fmt: skip
            children.append(Child("usage simulator", simulate, env))
        if role == "all":
            self.stdout.write(f"Serving on http://{bind}/ with a job consumer.")
        elif role == "web":
            self.stdout.write(f"Serving on http://{bind}/ (web only).")
        else:
            self.stdout.write(f"Running a job consumer ({role}).")
        for name in settings.SIMULATORS if role == "all" else ():
            self.stdout.write(
                f"The {STAND_INS[name].party} stand-in on "
                f"http://127.0.0.1:{settings.SIMULATOR_PORTS[name]}/ (SIMULATORS)."
            )
        self.stdout.write("Ctrl-C stops everything.")
        self.stdout.flush()
        failed = self._run(children)
        if failed:
            self.stderr.write(f"Stopped because this ended or failed: {', '.join(failed)}")
            raise SystemExit(1)

    def _run(self, children: list[Child]) -> list[str]:
        """Run the children until one ends or we are told to stop. Returns the
        names of those that failed or ended on their own, with their status."""
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        running: list[tuple[Child, subprocess.Popen[bytes]]] = []
        ended: set[str] = set()
        stopped_apart: set[str] = set()
        try:
            for child in children:
                # A group of its own: the terminal's Ctrl-C is ours to pass on, once.
                process = subprocess.Popen(
                    child.command,
                    env=child.env,
                    start_new_session=True,
                    preexec_fn=_stop_with_parent,  # serve runs no threads: safe after fork
                )
                running.append((child, process))
                if child.may_stop:
                    self.stdout.write(f"The {child.name} runs as process {process.pid}.")
                    self.stdout.flush()
            while not stopping and all(
                process.poll() is None or child.may_stop for child, process in running
            ):
                for child, process in running:
                    if (
                        child.may_stop
                        and process.poll() is not None
                        and child.name not in (stopped_apart)
                    ):
                        # Stopped to show failover: the shop goes on without it.
                        stopped_apart.add(child.name)
                        self.stdout.write(f"The {child.name} stopped; the shop goes on.")
                        self.stdout.flush()
                time.sleep(0.2)
            ended = {
                child.name
                for child, process in running
                if process.poll() is not None and child.name not in stopped_apart
            }
        finally:
            for child, process in running:
                if process.poll() is None:
                    process.send_signal(child.stop_signal)
            for _, process in running:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        stopped = (0, -signal.SIGTERM)
        return [
            f"{child.name} (status {process.returncode})"
            for child, process in running
            if child.name in ended
            or (process.returncode not in stopped and child.name not in stopped_apart)
        ]

"""Storefront throughput: the home page, a destination page and the plans API
against a bare Django endpoint (baseline) and against a plain WSGI application
sending bodies of the same sizes (ceiling), served by the production server in
the same run.

    .venv/bin/python bench/storefront.py [--duration 5] [--warmup 2] [--rounds 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench \\
    VAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rw_bench_vault \\
        .venv/bin/python bench/storefront.py

Needs ``wrk`` (Debian: ``apt-get install -y wrk``); without it the bench says
so and stops before setting anything up. Loads the demo catalogue into a
scratch SQLite database (or DATABASE_URL), then starts two servers on
loopback, each exactly as ``manage.py serve`` starts the shop (gunicorn, 2
workers of 16 threads, access log on):

- the shop, with one extra URL: ``/bench/bare``, a view that returns a
  constant without touching the database or a template, behind the same
  middleware, mounted only by this benchmark (bench/bare_urls.py): the
  baseline, what Django itself costs on these settings;
- a plain WSGI application (bench/plain_wsgi.py), no Django, that answers
  each page's path with a body of the size the shop sent for it: the ceiling
  for each page, what any application on this server can reach.

``wrk`` drives each target with 32 connections: a warm-up, then a timed run;
the targets take turns (bare endpoint, the three pages, the three ceilings),
``--rounds`` times, and the median and range of the rounds are reported.
Visitors are anonymous and send no cookies, like a first visit.

Prints requests per second per target and each page's throughput as a share
of the bare endpoint's and of its ceiling's, then the medians of p50 and p99
latency. On a machine shared with other work the throughput follows whatever
CPU the server gets from moment to moment, so it also prints the CPU time the
server's workers spent per request (from /proc, Linux) and the ratio of those:
the throughput ratio the server would reach on cores of its own. Goals,
reported and never enforced: the destination page and the plans API at least
60% of the bare endpoint's throughput, and p99 under 50 ms at 32 connections.
The load generator runs on the same machine as the server and takes part of
the CPU the server would have.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench._measure import interleaved, migrate, report
from roamwise.core.management.commands.serve import (
    DEFAULT_THREADS,
    DEFAULT_WORKERS,
    web_server_command,
)

WORKERS = DEFAULT_WORKERS
CONNECTIONS = 32
RATIO_GOAL = 0.60
P99_GOAL_MS = 50.0


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    expect: str  # in the body, so that an error page is never measured
    goal: bool  # held to the goals


BARE = Target("bare endpoint", "/bench/bare", "ok", goal=False)
TARGETS = [
    BARE,
    Target("home page", "/", "Where are you travelling?", goal=False),
    Target("destination page", "/destinations/fr/", "eSIM data plans for France", goal=True),
    Target("plans API", "/api/v1/destinations/FR/plans", '"currency"', goal=True),
]

REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\": %d, \\"seconds\\": %f, \\"socket_errors\\": %d, " ..
    "\\"non_2xx\\": %d, \\"p50_ms\\": %f, \\"p99_ms\\": %f}\\n",
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # the workers' CPU time per request; nan where /proc is missing
    socket_errors: int
    non_2xx: int


def workers_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """User and system CPU time of the server's worker processes so far."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile, or not ours to read
        if int(fields[1]) == server.pid:  # the parent: gunicorn's master
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare() -> None:
    migrate()
    call_command("load_demo_catalog", "--if-empty", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("check", fail_level="ERROR")  # as manage.py serve does


def start_server(
    port: int, log: Path, *, app: str = "", env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The shop as ``manage.py serve`` starts it, or ``app`` (a WSGI
    application's "module:name") on exactly the same command."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roamwise.settings",
        "ROAMWISE_ROOT_URLCONF": "bench.bare_urls",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    command = web_server_command(bind=f"127.0.0.1:{port}", workers=WORKERS, threads=DEFAULT_THREADS)
    if app:
        command[command.index("roamwise.wsgi:application")] = app
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; its log:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the server did not answer within 60 s; its log:\n{log.read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn: graceful stop
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def check(base: str, target: Target) -> int:
    """The size of the target's body, once it is known to be the page expected."""
    with urllib.request.urlopen(base + target.path, timeout=10) as answer:  # noqa: S310
        body = answer.read()
        if answer.status != 200 or target.expect not in body.decode():
            raise SystemExit(f"{target.path} answered {answer.status} without {target.expect!r}")
    return len(body)


def drive(
    wrk: str, script: Path, url: str, seconds: float, threads: int, server: subprocess.Popen[bytes]
) -> Run:
    cpu_before = workers_cpu_seconds(server)
    command = [
        wrk, f"-t{threads}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("RESULT "))
    cpu = workers_cpu_seconds(server) - cpu_before
    return Run(
        rps=result["requests"] / result["seconds"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        cpu_ms=cpu * 1000 / result["requests"] if cpu > 0 and result["requests"] else float("nan"),
        socket_errors=result["socket_errors"],
        non_2xx=result["non_2xx"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds timed per target")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each timed run")
    parser.add_argument("--rounds", type=int, default=5, help="turns of all targets; medians")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "bench/storefront.py drives the server with wrk, which is not installed here "
            "(Debian: apt-get install -y wrk); nothing was measured."
        )
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"database: {connection.vendor}; shared cache: {cache}; server: gunicorn, "
        f"{WORKERS} workers of {DEFAULT_THREADS} threads; {CONNECTIONS} connections; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run",
        flush=True,
    )
    prepare()
    work = Path(tempfile.mkdtemp(prefix="roamwise-http-"))
    script = work / "report.lua"
    script.write_text(REPORT_LUA)
    shop_port, plain_port = free_port(), free_port()
    shop = f"http://127.0.0.1:{shop_port}"
    plain = f"http://127.0.0.1:{plain_port}"
    servers = [start_server(shop_port, work / "shop.log")]
    runs: dict[str, list[Run]] = {}

    def target_step(name: str, server: subprocess.Popen[bytes], url: str) -> Callable[[], float]:
        runs[name] = []

        def step() -> float:
            drive(wrk, script, url, args.warmup, args.threads, server)
            run = drive(wrk, script, url, args.duration, args.threads, server)
            runs[name].append(run)
            return run.rps

        return step

    try:
        sizes = {target.path: check(shop, target) for target in TARGETS}
        servers.append(
            start_server(
                plain_port,
                work / "plain.log",
                app="bench.plain_wsgi:application",
                env={"BENCH_BODY_SIZES": json.dumps(sizes)},
            )
        )
        pages = [target for target in TARGETS if target is not BARE]
        ceilings = {target.name: f"plain WSGI, {target.name} size" for target in pages}
        steps = {BARE.name: target_step(BARE.name, servers[0], shop + BARE.path)}
        for target in pages:
            steps[target.name] = target_step(target.name, servers[0], shop + target.path)
        for target in pages:
            url = plain + target.path
            steps[ceilings[target.name]] = target_step(ceilings[target.name], servers[1], url)
        print(f"body sizes: {', '.join(f'{p} {n} B' for p, n in sizes.items())}", flush=True)
        results = interleaved(args.rounds, steps, show=lambda rps: f"{rps:8.0f}", unit="req/s")
    finally:
        for server in servers:
            stop_server(server)

    print(f"\n{args.duration:.0f} s timed per target, after {args.warmup:.0f} s of warm-up")
    report(
        results,
        show=lambda rps: f"{rps:8.0f}",
        unit="req/s",
        subjects=[target.name for target in pages],
        baseline=BARE.name,
        ceiling=ceilings,
        higher_is_better=True,
    )
    medians = {
        name: {
            key: statistics.median(getattr(run, key) for run in found)
            for key in ("rps", "p50_ms", "p99_ms", "cpu_ms")
        }
        for name, found in runs.items()
    }
    bare_cpu = medians[BARE.name]["cpu_ms"]
    width = max(len(name) for name in medians)
    print(
        f"\nmedians: {'':<{width}} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>11} {'CPU ratio':>9}"
    )
    for name, found in medians.items():
        print(
            f"         {name:<{width}} {found['p50_ms']:7.1f} {found['p99_ms']:7.1f} "
            f"{found['cpu_ms']:11.2f} {bare_cpu / found['cpu_ms']:9.2f}"
        )
    failures = sum(r.socket_errors + r.non_2xx for found in runs.values() for r in found)
    if failures:
        print(f"warning: {failures} socket errors or non-2xx answers during the runs")
    print("\ngoals (reported, not enforced):")
    for target in TARGETS:
        if not target.goal:
            continue
        found = medians[target.name]
        ratio = found["rps"] / medians[BARE.name]["rps"]
        cpu_ratio = bare_cpu / found["cpu_ms"]
        print(
            f"  {target.name}: throughput {ratio:.2f} of the bare endpoint, "
            f"{cpu_ratio:.2f} by CPU time (goal >= {RATIO_GOAL:.2f}): "
            f"{'met' if ratio >= RATIO_GOAL else 'NOT met'} measured, "
            f"{'met' if cpu_ratio >= RATIO_GOAL else 'NOT met'} by CPU; "
            f"p99 {found['p99_ms']:.1f} ms (goal < {P99_GOAL_MS:.0f} ms): "
            f"{'met' if found['p99_ms'] < P99_GOAL_MS else 'NOT met'}"
        )


if __name__ == "__main__":
    main()

"""Lighthouse on the storefront: the home page, a destination page and a plan
page, served as ``make run`` serves them, audited with Debian's Chromium.

    .venv/bin/python bench/lighthouse.py [--categories accessibility,seo,best-practices]
    LIGHTHOUSE=/opt/lighthouse/node_modules/.bin/lighthouse .venv/bin/python bench/lighthouse.py

Not part of the test suite. Needs Node.js and Lighthouse (npm package
``lighthouse``), kept outside the repository: the command in LIGHTHOUSE, else
``lighthouse`` on the PATH, else ``npx --yes lighthouse@12`` (which fetches it
into npm's cache once). Chromium is CHROMIUM_PATH, else /usr/bin/chromium,
started headless without a sandbox.

Loads the demo catalogue into a scratch SQLite database (or DATABASE_URL),
starts the shop with gunicorn exactly as ``manage.py serve`` does (the start
and stop are those of bench/storefront.py), runs Lighthouse once per page as
a first-time desktop visitor, and prints each category's score (0 to 100).
Goals, reported and never enforced: 100 for accessibility and SEO, at least
95 for best practices. A failed audit is listed under its page.
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
import subprocess
import tempfile

# Sets up Django on a scratch data directory (ROAMWISE_DATA_DIR) on import.
from bench.storefront import free_port, prepare, start_server, stop_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run"
GOALS = {"accessibility": 100, "seo": 100, "best-practices": 95}


def lighthouse_command() -> list[str]:
    if os.environ.get("LIGHTHOUSE"):
        return [os.environ["LIGHTHOUSE"]]
    if shutil.which("lighthouse"):
        return ["lighthouse"]
    if shutil.which("npx"):
        return ["npx", "--yes", "lighthouse@12"]
    raise SystemExit("Lighthouse needs Node.js: install npm (apt-get install -y npm)")


def pages() -> list[tuple[str, str]]:
    from roamwise.catalog.models import Plan

    plan = Plan.objects.select_related("destination").get(destination__code="FR", data_mb=5120)
    return [
        ("home page", "/"),
        ("destination page", f"/destinations/{plan.destination.slug}/"),
        ("plan page", f"/plans/{plan.public_id}/"),
    ]


def audit(url: str, categories: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="roamwise-lighthouse-") as profile:
        command = [
            *lighthouse_command(),
            url,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--preset=desktop",
            f"--only-categories={','.join(categories)}",
            f"--chrome-flags={CHROME_FLAGS} --user-data-dir={profile}",
        ]
        result = subprocess.run(  # noqa: S603 (our own command)
            command,
            capture_output=True,
            text=True,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            timeout=300,
            check=False,
        )
    if result.returncode != 0 or not result.stdout.strip():
        raise SystemExit(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    return dict(json.loads(result.stdout))


def failed_audits(report: dict[str, object], category: str) -> list[str]:
    audits: dict[str, dict[str, object]] = report["audits"]  # type: ignore[assignment]
    refs = report["categories"][category]["auditRefs"]  # type: ignore[index]
    failed = []
    for ref in refs:
        found = audits[ref["id"]]
        if ref["weight"] and found.get("score") is not None and found["score"] < 1:  # type: ignore[operator]
            failed.append(f"{ref['id']}: {found['title']}")
            items = (found.get("details") or {}).get("items", [])  # type: ignore[union-attr]
            for item in items[:3]:
                where = item.get("url") or (item.get("sourceLocation") or {}).get("url", "")
                said = f"{item.get('description') or ''} {where}"
                if said.strip():
                    failed.append(f"    {said.strip()[:200]}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--categories",
        default="accessibility,seo,best-practices",
        help="Lighthouse categories, comma-separated (performance too, if wanted)",
    )
    args = parser.parse_args()
    categories = [c.strip() for c in args.categories.split(",") if c.strip()]
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    lighthouse_command()

    prepare()
    port = free_port()
    log = Path(os.environ["ROAMWISE_DATA_DIR"]) / "lighthouse-server.log"
    server = start_server(port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        rows = []
        for name, path in pages():
            report = audit(base + path, categories)
            scores = {
                c: round(float(report["categories"][c]["score"] or 0) * 100)  # type: ignore[index]
                for c in categories
            }
            rows.append((name, path, scores, report))
    finally:
        stop_server(server)

    width = max(len(name) for name, *_ in rows)
    print(f"{'page':<{width}}  " + "  ".join(f"{c:>14}" for c in categories))
    for name, _, scores, _ in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{scores[c]:>14}" for c in categories))
    print()
    for name, path, scores, report in rows:
        for category in categories:
            goal = GOALS.get(category)
            if goal is not None and scores[category] < goal:
                print(f"{name} ({path}): {category} {scores[category]}, goal {goal}")
            for line in failed_audits(report, category):
                print(f"  {category} {line}")
    met = all(scores[c] >= GOALS[c] for _, _, scores, _ in rows for c in categories if c in GOALS)
    print("goals met" if met else "goals not met (reported, not enforced)")


if __name__ == "__main__":
    main()

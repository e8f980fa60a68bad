"""``pip install -e .`` alone serves the site: what it needs is in ``dependencies``.

The test and dev extras are installed here, so the check hides them: a fresh
process may import only the distributions that ``roamwise``'s own
requirements reach (with the extras they ask for), then runs the start-up
checks and loads the site's URLs and WSGI application as ``make run`` does.
And ``make run`` installs only that; the test and dev tools come with
``make test`` and ``make lint``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SERVING_ONLY = r"""
import importlib.abc, importlib.metadata, sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Every distribution the project's requirements reach, with the extras asked of it.
reached, todo = set(), [("roamwise", frozenset())]
while todo:
    name, extras = todo.pop()
    key = (canonicalize_name(name), extras)
    if key in reached:
        continue
    reached.add(key)
    for raw in importlib.metadata.distribution(name).requires or []:
        requirement = Requirement(raw)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in extras or {""}):
            todo.append((requirement.name, frozenset(requirement.extras)))
allowed = {name for name, _ in reached}

hidden = set()
for dist in importlib.metadata.distributions():
    if canonicalize_name(dist.metadata["Name"]) in allowed:
        continue
    for path in dist.files or []:
        top = path.parts[0]
        if top.endswith((".dist-info", ".data")) or top in ("..", "__pycache__"):
            continue
        hidden.add(top.removesuffix(".py").split(".")[0])
hidden -= set(sys.stdlib_module_names) | {"roamwise"}


class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.partition(".")[0] in hidden:
            raise ModuleNotFoundError(f"{fullname} is not a serving dependency", name=fullname)
        return None


sys.meta_path.insert(0, Hidden())
for name in [m for m in sys.modules if m.partition(".")[0] in hidden]:
    del sys.modules[name]

import django
from django.core.management import call_command

django.setup()
call_command("check", fail_level="WARNING")
import roamwise.urls  # noqa: F401
from django.core.wsgi import get_wsgi_application

get_wsgi_application()
print("hidden:", " ".join(sorted(hidden)))
"""


def test_the_site_starts_with_its_declared_dependencies_alone(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roamwise.settings",
        "ROAMWISE_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVING_ONLY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    # The check is not toothless: the test tools are really out of reach.
    assert {"pytest", "hypothesis", "schemathesis"} <= set(result.stdout.split())


def planned(target: str, venv: Path) -> str:
    """What ``make TARGET`` would run on a machine without a virtualenv yet."""
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_make_run_installs_what_serving_needs_and_make_test_the_rest(tmp_path: Path) -> None:
    run, test = planned("run", tmp_path / "venv"), planned("test", tmp_path / "venv")

    assert "pip install --python" in run and "--quiet -e .\n" in run
    assert ".[test,dev]" not in run
    assert "--quiet -e .\n" in test
    assert '-e ".[test,dev]"' in test
    assert "SIMULATORS" not in test

"""The import contracts (ADR 0021): every module is placed in a layer, and an
upward import planted in a copy of the code breaks ``lint-imports``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "roamwise"
# The web layer of an app: what may import anything of its own app and below.
WEB = {
    "views",
    "api",
    "admin",
    "forms",
    "urls",
    "standalone_urls",
    "security_admin",
    "identity_admin",
    "backoffice",
    "response_admin",
    "response_forms",
    "context_processors",
    "middleware",
    "password_reset",
    "email_code",
    "adapter",
    "api_auth",
    "templatetags",
    "management",
}
NOT_CODE = {"__init__", "apps", "tests", "migrations", "templates", "static", "locale"}
# Shared test support (factories, fixtures): like tests, not a layer.
TEST_SUPPORT = PACKAGE / "testing"


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def test_every_module_of_every_app_is_placed_in_a_layer():
    domain = {
        pattern.removeprefix("roamwise.*.")
        for contract in _contracts()
        if contract["name"] == "Domain code never imports the web or API layer"
        for pattern in contract["source_modules"]
    }
    unplaced = []
    for path in sorted(PACKAGE.glob("*/*")):
        if not (path.parent / "__init__.py").exists() or path.parent == TEST_SUPPORT:
            continue
        name = path.stem if path.suffix == ".py" else path.name
        is_package = path.is_dir() and (path / "__init__.py").exists()
        if (path.suffix == ".py" or is_package) and name not in WEB | NOT_CODE | domain:
            unplaced.append(str(path.relative_to(ROOT)))
    assert unplaced == [], (
        "Place these modules: web layer (WEB in this test) or domain code "
        "(the first contract in pyproject.toml)"
    )


def test_every_app_is_in_the_app_layers():
    layers = next(
        c["layers"] for c in _contracts() if c["name"] == "Apps import only the apps below them"
    )
    named = {part.strip() for layer in layers for part in layer.replace("|", ":").split(":")}
    apps = {
        f"roamwise.{p.parent.name}"
        for p in PACKAGE.glob("*/__init__.py")
        if p.parent != TEST_SUPPORT
    }
    assert apps - named == set()


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_planted_upward_import_breaks_the_contracts(tmp_path):
    # A copy of the code without migrations, templates and static files.
    shutil.copytree(
        PACKAGE,
        tmp_path / "roamwise",
        ignore=shutil.ignore_patterns("migrations", "templates", "static", "locale"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # Domain code of the lowest layer reaching up into a view.
    (tmp_path / "roamwise" / "core" / "planted.py").write_text(
        "from roamwise.orders.views import checkout  # noqa\n"
    )

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apps import only the apps below them BROKEN" in result.stdout
    assert "roamwise.core.planted -> roamwise.orders.views" in result.stdout


def test_the_calls_up_are_declared_and_each_imports():
    from roamwise.core.upward import declared_hooks, hooks_check

    assert sorted(declared_hooks()) == [
        "roamwise.accounts.hooks",
        "roamwise.catalog.hooks",
        "roamwise.esims.hooks",
        "roamwise.orders.hooks",
        "roamwise.retention.hooks",
        "roamwise.rights.hooks",
    ]
    assert hooks_check() == []


def test_a_call_up_to_a_missing_function_stops_the_start_up_check(monkeypatch):
    from roamwise.core.upward import hooks_check
    from roamwise.orders import hooks

    monkeypatch.setitem(hooks.UPWARD, "payment_start", "roamwise.payments.services.payment_begin")

    errors = hooks_check()

    assert [error.id for error in errors] == ["core.E010"]
    assert "roamwise.orders.hooks.UPWARD['payment_start']" in errors[0].msg
    assert "payment_begin" in errors[0].msg

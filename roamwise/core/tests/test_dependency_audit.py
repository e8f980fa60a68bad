"""The CI dependency audit fails on a known vulnerability with a fix, and only then."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dependency_audit", ROOT / "scripts/dependency_audit.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vuln(identifier: str, fixes: list[str]) -> dict:
    return {"id": identifier, "fix_versions": fixes, "aliases": [], "description": ""}


def test_a_vulnerability_with_a_fixed_release_fails_the_audit() -> None:
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": [vuln("PYSEC-1", ["5.2.1"])]},
            {"name": "segno", "version": "1.6.6", "vulns": []},
        ]
    }
    status, lines = load_script().judge(report)
    assert status == 1
    assert "  VULNERABLE: django 5.2.0: PYSEC-1 (fixed in 5.2.1)" in lines


def test_a_vulnerability_without_a_fix_is_reported_but_does_not_fail() -> None:
    report = {"dependencies": [{"name": "x", "version": "1", "vulns": [vuln("GHSA-1", [])]}]}
    status, lines = load_script().judge(report)
    assert status == 0
    assert "  known, no fix: x 1: GHSA-1 (no fixed release yet)" in lines


def test_an_unreachable_service_is_said_out_loud_not_passed_as_clean() -> None:
    report = {"dependencies": [{"name": "x", "version": "1", "skip_reason": "not found"}]}
    status, lines = load_script().judge(report)
    assert status == 0
    assert lines[0] == "dependency audit: 0 packages audited, 1 skipped"
    assert lines[-1].startswith("dependency audit: NOT AUDITED")

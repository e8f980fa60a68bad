"""`manage.py check --deploy` is clean with production settings (SEC-01, SEC-07).

The command runs in a fresh process with the environment of a production
deployment (docs/configuration.md, "Production"): DEBUG off, a real secret key, the
public host names and an https SITE_URL.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .production import ROOT, production_env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.commitment("SEC-01")
@pytest.mark.commitment("SEC-07")
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_check_deploy_catches_a_site_served_without_tls(tmp_path: Path) -> None:
    # The check is not toothless: plain HTTP in production is reported.
    result = check_deploy(production_env(tmp_path, SITE_URL="http://shop.roamwise.example"))

    assert result.returncode == 1
    for warning in ("security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


@pytest.mark.commitment("SEC-03")
def test_check_deploy_fails_when_a_production_site_runs_a_stand_in(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path, SIMULATORS="smdp"))

    assert result.returncode == 1
    assert "core.E001" in result.stderr
    assert "SM-DP+" in result.stderr


def test_check_deploy_asks_for_every_outside_partys_address(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path, PAYMENT_GATEWAY="simulated", ES2PLUS_URL=""))

    assert result.returncode == 1
    missing = re.findall(r"\(core\.E002\) (\w+) is not set", result.stderr)
    assert sorted(missing) == ["ES2PLUS_URL", "GATEWAY_URL"]


def test_a_production_site_refuses_secrets_made_on_its_own_disk(tmp_path: Path) -> None:
    # Not only with --deploy: serve runs the plain check before it starts.
    env = production_env(tmp_path, SECRET_KEY=None, NETWORK_PARTNER_API_KEY=None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 1
    named = re.findall(r"\(core\.E003\) (\w+) was generated", result.stderr)
    assert sorted(named) == ["NETWORK_PARTNER_API_KEY", "SECRET_KEY"]

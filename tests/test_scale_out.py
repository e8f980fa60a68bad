"""``make scale``, short: the scale-out run ends with a clean tally (issue: beyond one machine).

HAProxy in front of three web instances, two job consumers and a scheduler,
on this suite's PostgreSQL databases and Redis; customers browse, sign up and
buy for about 25 s while one web instance and one consumer are killed
(SIGKILL) and started again (scripts/scale.py says how). Runs on PostgreSQL
with Redis only: SQLite and the SQLite-backed queue are one machine's. CI
installs HAProxy and sets ``ROAMWISE_REQUIRE_HAPROXY=1``, so that a missing
one fails there rather than skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.scale import loopback_haproxy_cfg  # noqa: E402

LOAD_SECONDS = 25


def database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def haproxy() -> str:
    found = shutil.which("haproxy")
    if found is None:
        if os.environ.get("ROAMWISE_REQUIRE_HAPROXY") == "1":
            pytest.fail("haproxy not found (apt-get install -y haproxy)")
        pytest.skip("haproxy not found; install it with apt-get install haproxy")
    return found


def test_the_loopback_configuration_is_the_deployments_with_local_servers(
    tmp_path: Path,
) -> None:
    config = loopback_haproxy_cfg(port=18080, web_ports={"web1": 18001, "web2": 18002})

    for kept in ("option httpchk GET /readyz", "balance roundrobin", "option redispatch"):
        assert kept in config
    assert "bind 127.0.0.1:18080" in config
    assert "server web2 127.0.0.1:18002 check" in config
    assert "resolvers" not in config
    # Both files are ones HAProxy accepts (the deployment's names hosts it cannot resolve here).
    (tmp_path / "loopback.cfg").write_text(config)
    for path in (tmp_path / "loopback.cfg", ROOT / "deploy" / "haproxy.cfg"):
        checked = subprocess.run(
            [haproxy(), "-c", "-f", str(path)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.long
def test_a_short_scale_run_ends_with_a_clean_tally(transactional_db: None, tmp_path: Path) -> None:
    if connections["default"].vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip(
            "the scale run needs PostgreSQL and Redis (a postgres:// DATABASE_URL and REDIS_URL)"
        )
    haproxy()
    env = {
        **os.environ,
        # The suite's own databases, migrated already; emptied after the test.
        "DATABASE_URL": database_url("default"),
        "VAULT_DATABASE_URL": database_url("vault"),
    }
    for alias in connections:
        connections[alias].close()
    tally_file = tmp_path / "tally.json"
    run = subprocess.run(
        [
            sys.executable, "scripts/scale.py", "--existing",
            "--seconds", str(LOAD_SECONDS), "--customers", "3", "--settle", "90",
            "--data-dir", str(tmp_path / "run"), "--json", str(tally_file),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr

    assert run.returncode == 0, output
    tally = json.loads(tally_file.read_text())
    assert tally["violations"] == [], output
    assert tally["orders_paid"] > 0, output
    assert tally["fulfilled"] > 0 and tally["refunded"] > 0, output
    assert tally["orders_paid"] == tally["fulfilled"] + tally["refunded"], output
    assert tally["stuck"] == [] and tally["doubled"] == [], output
    assert tally["sign_ups"] > 0, output
    assert tally["periods"] > 0 and set(tally["periodic_runs_per_period"]) == {"1"}, output
    assert tally["client_errors_other"] == [], output

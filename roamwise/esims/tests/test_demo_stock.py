"""The demo (``make run``) loads the operator's ICCIDs at the SM-DP+ stand-in
into the shop's list, so a lost DownloadOrder in the demo is settled by asking
again for the same ICCID (ADR 0006), not left to staff."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connections

from roamwise.esims.models import ProfileStock

ROOT = Path(__file__).resolve().parents[3]


def _database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _run_demo_target() -> None:
    """The Makefile's ``demo`` recipe as make would run it, on the test databases
    (its ``migrate`` prerequisite left out: pytest built the schema)."""
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", "migrate", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    subprocess.run(
        ["/bin/sh", "-ec", recipe],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _database_url("default"),
            "VAULT_DATABASE_URL": _database_url("vault"),
        },
        check=True,
        timeout=300,
    )


@pytest.mark.long
@pytest.mark.django_db(transaction=True, databases=["default", "vault"])
def test_the_demo_stocks_the_stand_ins_iccids_and_can_run_again() -> None:
    from roamwise.smdp.models import ProfileState, SmdpProfile

    ours = SmdpProfile.objects.filter(profile_type="roamwise-standard", operator="roamwise")
    _run_demo_target()
    available = set(ours.values_list("iccid", flat=True))
    assert len(available) == 200
    stocked = ProfileStock.objects.filter(profile_type="roamwise-standard")
    assert set(stocked.values_list("iccid", flat=True)) == available

    # The shop used one profile meanwhile: its row left the list, the stand-in
    # reserved it. Running the demo again tops both up, and does not offer the
    # used one again.
    used = stocked.order_by("id").first()
    assert used is not None
    ours.filter(iccid=used.iccid).update(state=ProfileState.ALLOCATED)
    used.delete()
    _run_demo_target()
    assert ours.count() == 201
    assert set(stocked.values_list("iccid", flat=True)) == set(
        ours.filter(state=ProfileState.AVAILABLE).values_list("iccid", flat=True)
    )
    assert stocked.count() == 200
    assert not stocked.filter(iccid=used.iccid).exists()

"""The stand-ins for outside parties are not part of a site unless named (SEC-03, ADR 0018).

Anonymous requests to a mounted SM-DP+ stand-in once read another customer's
activation code and installed their eSIM; a mounted payment processor took
anyone's sessions. The site's URLconf mounts none of them, no outbound address
defaults to the site itself, and ``check --deploy`` refuses a production site
that runs one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from roamwise.core.stand_ins import STAND_INS, stand_in_ports, stand_ins_named

from .production import ROOT, production_env

STAND_IN_REQUESTS = [
    ("POST", "/smdp/gsma/rsp2/es2plus/getProfileStatus"),
    ("POST", "/smdp/gsma/rsp2/es2plus/downloadOrder"),
    ("POST", "/smdp/device/download"),
    ("POST", "/gateway/v1/sessions"),
    ("GET", "/gateway/pay/anything/"),
    ("GET", "/network/api/v1/subscriptions/8944990000000000018"),
]


@pytest.mark.commitment("SEC-03")
@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), STAND_IN_REQUESTS)
def test_the_site_answers_no_stand_in_url(client: Client, method: str, path: str) -> None:
    response = client.generic(method, path, b"{}", content_type="application/json")

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_suite_mounts_the_stand_ins_only_when_asked(client: Client, stand_ins: None) -> None:
    # The fixture's URLconf is what the tests of the stand-ins speak to.
    response = client.post("/gateway/v1/sessions", "{}", content_type="application/json")

    assert response.status_code == 401


DEFAULTS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SIMULATORS", "GATEWAY_URL", "ES2PLUS_URL", "NETWORK_PARTNER_URL", "ROOT_URLCONF")}))
"""


def settings_with(tmp_path: Path, **env: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", DEFAULTS],
        cwd=ROOT,
        env={**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "roamwise.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.commitment("SEC-03")
def test_by_default_no_stand_in_runs_and_no_address_points_at_the_site(tmp_path: Path) -> None:
    values = settings_with(tmp_path, ES2PLUS_URL="", NETWORK_PARTNER_URL="")

    assert values == {
        "SIMULATORS": [],
        "GATEWAY_URL": "",
        "ES2PLUS_URL": "",
        "NETWORK_PARTNER_URL": "",
        "ROOT_URLCONF": "roamwise.urls",
    }


def test_named_stand_ins_are_where_the_shop_calls_them(tmp_path: Path) -> None:
    values = settings_with(
        tmp_path,
        SIMULATORS="network,gateway,smdp",
        SIMULATOR_PORTS="smdp=9102",
        ES2PLUS_URL="",
        NETWORK_PARTNER_URL="",
    )

    assert values["SIMULATORS"] == ["gateway", "smdp", "network"]
    assert values["GATEWAY_URL"] == "http://127.0.0.1:8001/gateway"
    assert values["ES2PLUS_URL"] == "http://127.0.0.1:9102"
    assert values["NETWORK_PARTNER_URL"] == "http://127.0.0.1:8003"


def test_an_unknown_stand_in_or_port_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown bank"):
        stand_ins_named(["smdp", "bank"])
    for raw in ("smdp=0", "smdp=http", "bank=8000", "smdp"):
        with pytest.raises(ValueError, match="STAND_IN=PORT"):
            stand_in_ports(raw)
    assert stand_in_ports("") == {name: s.port for name, s in STAND_INS.items()}

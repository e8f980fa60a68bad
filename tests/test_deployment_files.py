"""The deployment files say what the code does (issue: beyond one machine).

This machine runs no containers, so the image, the compose file and the
Kubernetes manifests are checked by what can run here: every role they start
is one ``serve`` has, every variable they set is a documented setting, every
probe answers, and the settings the manifests give pass the deployment check
in a fresh process, with no secret made on the instance's disk.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from roamwise.core.keyring import new_keyring_json
from roamwise.core.management.commands.serve import ROLES

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Every name in the first column of the settings table (a row may name two).
DOCUMENTED = {
    name
    for row in (ROOT / "docs/configuration.md").read_text().splitlines()
    if row.startswith("| `")
    for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])
}


def manifests() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def roles_in(arguments: list[str]) -> list[str]:
    return [arguments[i + 1] for i, a in enumerate(arguments) if a == "--role"]


def test_every_role_started_is_one_serve_has() -> None:
    started = []
    for service in compose()["services"].values():
        started += roles_in(service.get("command") or [])
    for document in manifests():
        if document["kind"] == "Deployment":
            (container,) = document["spec"]["template"]["spec"]["containers"]
            started += roles_in(container["args"])
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    started += re.findall(r'"--role", "(\w+)"', dockerfile)

    assert set(started) <= set(ROLES)
    assert {"web", "worker", "scheduler"} <= set(started)
    assert 'ENTRYPOINT ["python", "manage.py", "serve"]' in dockerfile
    assert re.search(r"^USER roamwise$", dockerfile, re.M)  # never root


def test_every_variable_they_set_is_a_documented_setting() -> None:
    named = set()
    for service in compose()["services"].values():
        if service.get("image") == "roamwise":  # not PostgreSQL's own
            named |= set((service.get("environment") or {}).keys())
    for document in manifests():
        if (
            document["kind"] in ("ConfigMap", "Secret")
            and document["metadata"]["name"] == "roamwise"
        ):
            named |= set((document.get("data") or document.get("stringData") or {}).keys())

    assert named and named <= DOCUMENTED, sorted(named - DOCUMENTED)


def test_the_stand_ins_run_only_under_the_demo_profile() -> None:
    for name, service in compose()["services"].items():
        if "SIMULATORS" in (service.get("environment") or {}):
            assert service.get("profiles") == ["demo"], name


def test_the_probes_they_use_answer(client: Client, db: None) -> None:
    paths = {"/readyz"}
    for document in manifests():
        if document["kind"] == "Deployment":
            (container,) = document["spec"]["template"]["spec"]["containers"]
            for probe in ("readinessProbe", "livenessProbe"):
                if probe in container:
                    paths.add(container[probe]["httpGet"]["path"])
    assert "/readyz" in (DEPLOY / "haproxy.cfg").read_text()

    for path in paths:
        assert client.get(path).status_code == 200, path


@pytest.mark.commitment("SEC-07")
def test_the_manifests_settings_pass_the_deployment_check(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ROAMWISE_DATA_DIR": str(tmp_path)}
    for document in manifests():
        if (
            document["kind"] in ("ConfigMap", "Secret")
            and document["metadata"]["name"] == "roamwise"
        ):
            env.update(document.get("data") or document.get("stringData") or {})
    keyring = tmp_path / "keyring.json"
    keyring.write_text(new_keyring_json())
    env["ROAMWISE_KEYRING_FILE"] = str(keyring)
    env["SECRET_KEY"] = "k3y-" + "x7Q9pL2vR8sT4wZ1" * 4  # the placeholder is too short

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("secret_key"))  # nothing made on the instance's disk

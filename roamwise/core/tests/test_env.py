from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from roamwise.core.env import ensure_secret_file, env_bool, env_choice, env_int, env_str


def test_env_bool_accepts_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


@pytest.mark.parametrize(
    "reader,value",
    [
        (lambda: env_bool("X", False), "maybe"),
        (lambda: env_int("X", 1), "ten"),
        (lambda: env_int("X", 1, minimum=1), "0"),
        (lambda: env_choice("X", "a", ("a", "b")), "c"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, reader: object, value: str
) -> None:
    monkeypatch.setenv("X", value)

    with pytest.raises(ImproperlyConfigured, match="X="):
        reader()  # type: ignore[operator]


def test_secrets_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("API_KEY_FILE", str(secret))

    assert env_str("API_KEY") == "s3cret"

    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="API_KEY_FILE"):
        env_str("API_KEY")


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"

    first = ensure_secret_file(path, lambda: "generated-once")
    second = ensure_secret_file(path, lambda: "never-used")

    assert first == second == "generated-once"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_settings_refuse_a_bad_database_url(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": "mysql://root@localhost/x",
        "ROAMWISE_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import roamwise.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DATABASE_URL must use postgres:// or sqlite://" in result.stderr

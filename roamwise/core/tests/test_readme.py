"""The README is the front door: it must list every variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READERS = re.compile(
    r"""(?:env_str|env_bool|env_int|env_float|env_list|env_choice|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def variables_read() -> set[str]:
    names: set[str] = set()
    for path in [*ROOT.glob("roamwise/**/*.py"), *ROOT.glob("e2e/*.py")]:
        if "/tests/" in str(path):
            continue
        names |= set(READERS.findall(path.read_text()))
    return names - NOT_CONFIGURATION


def test_every_environment_variable_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    read = variables_read()

    assert "SECRET_KEY" in read and "DATABASE_URL" in read  # the scan finds settings
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert missing == []


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()

    first_block = readme.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block

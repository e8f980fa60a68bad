"""The README is the front door; docs/configuration.md, which it points to,
lists every variable the code reads."""

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
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    read = variables_read()

    assert "SECRET_KEY" in read and "DATABASE_URL" in read  # the scan finds settings
    missing = sorted(name for name in read if f"`{name}`" not in configuration)
    assert missing == []


def test_the_readme_sends_configuration_to_its_page() -> None:
    readme = (ROOT / "README.md").read_text()

    assert "(docs/configuration.md)" in readme
    assert "| `DATABASE_URL` |" not in readme  # the table lives in one place


def test_every_page_the_readme_links_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(((?:docs|e2e|roamwise)/[^)#]*)", readme)

    assert "docs/architecture.md" in links and "docs/contributing.md" in links
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()

    first_block = readme.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block

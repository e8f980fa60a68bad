"""The register of commitments (docs/commitments.md) and the tests agree:
every ID a test cites is in it, every promise in it has a test, and its
"Proven by" lines name the files that prove each one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("commitments", ROOT / "scripts/commitments.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("commitments", module)
    spec.loader.exec_module(module)
    return module


commitments = _script()

REGISTER = """# Commitments

## Accounts (ACC)

### ACC-01 Accounts
Anyone can open one.

Proven by: `roamwise/accounts/tests/test_login.py`

## Promised, not yet proven

### AUT-04 Device identifiers
Only where needed.
"""


def test_the_register_matches_the_tests() -> None:
    text = commitments.REGISTER.read_text(encoding="utf-8")

    assert commitments.problems(text, commitments.marks()) == []


def test_the_marks_are_found_in_every_test_root() -> None:
    found = commitments.marks()

    assert "tests/test_authorization_matrix.py" in found["SEC-01"]
    assert "e2e/test_journey.py" in found["ACC-01"]
    assert "roamwise/audit/tests/test_chain.py" in found["SEC-04"]


def test_an_id_cited_by_a_test_but_missing_from_the_register_is_named() -> None:
    found = {
        "ACC-01": ["roamwise/accounts/tests/test_login.py"],
        "ACC-09": ["roamwise/accounts/tests/test_new.py"],
    }

    assert commitments.problems(REGISTER, found) == [
        "ACC-09 is used by a test (roamwise/accounts/tests/test_new.py) but is not in the register"
    ]


def test_a_promise_without_a_test_is_named() -> None:
    assert commitments.problems(REGISTER, {}) == [
        "ACC-01 is in the register but no test proves it",
        "the 'Proven by:' lines are out of date: run python scripts/commitments.py --write",
    ]


def test_a_promise_not_yet_proven_needs_no_test_until_one_proves_it() -> None:
    found = {"ACC-01": ["roamwise/accounts/tests/test_login.py"]}
    assert commitments.problems(REGISTER, found) == []

    found["AUT-04"] = ["roamwise/devices/tests/test_privacy.py"]
    assert commitments.problems(REGISTER, found) == [
        "AUT-04 is listed as not yet proven but roamwise/devices/tests/test_privacy.py "
        "proves it: move it up"
    ]


def test_the_proven_by_lines_follow_the_tests() -> None:
    found = {"ACC-01": ["roamwise/accounts/tests/test_login.py", "e2e/test_journey.py"]}

    stale = commitments.problems(REGISTER, found)
    rewritten = commitments.with_proofs(REGISTER, found)

    assert stale == [
        "the 'Proven by:' lines are out of date: run python scripts/commitments.py --write"
    ]
    assert "Proven by: `roamwise/accounts/tests/test_login.py`, `e2e/test_journey.py`" in rewritten
    assert commitments.problems(rewritten, found) == []


def test_the_repository_never_points_outside_itself_for_its_promises() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    assert "../shared" not in readme
    assert "COMMITMENTS.md" not in marker

"""The commitments register (docs/commitments.md) and the tests that prove it.

Every test that proves a promise carries ``@pytest.mark.commitment("ID")``.
This script finds those marks under roamwise/, tests/ and e2e/, compares
them with the register, and rewrites each entry's "Proven by:" line:

    python scripts/commitments.py           # report; exit 1 if the register is out of date
    python scripts/commitments.py --write   # rewrite the "Proven by:" lines

``tests/test_commitments.py`` runs the same comparison.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "docs" / "commitments.md"
TEST_ROOTS = ("roamwise", "tests", "e2e")
MARK = re.compile(r"""mark\.commitment\(\s*["']([A-Z]{3}-\d{2})["']\s*\)""")
ENTRY = re.compile(r"^### ([A-Z]{3}-\d{2})\b")
PROVEN = "Proven by:"
# The heading of the part of the register listing promises without a test yet.
NOT_YET = "## Promised, not yet proven"


@dataclass
class Register:
    proven: list[str] = field(default_factory=list)
    not_yet: list[str] = field(default_factory=list)


def marks(root: Path = ROOT) -> dict[str, list[str]]:
    """ID -> the test files (relative paths, sorted) that carry its mark."""
    found: dict[str, set[str]] = defaultdict(set)
    for top in TEST_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            for ident in MARK.findall(path.read_text(encoding="utf-8")):
                found[ident].add(path.relative_to(root).as_posix())
    return {ident: sorted(files) for ident, files in sorted(found.items())}


def read_register(text: str) -> Register:
    register = Register()
    current = register.proven
    for line in text.splitlines():
        if line.startswith("## "):
            current = register.not_yet if line.startswith(NOT_YET) else register.proven
        match = ENTRY.match(line)
        if match:
            current.append(match.group(1))
    return register


def problems(text: str, found: dict[str, list[str]]) -> list[str]:
    """What is wrong between the register and the tests, in words."""
    register = read_register(text)
    listed = register.proven + register.not_yet
    out = [
        f"{i} is in the register twice" for i in sorted({i for i in listed if listed.count(i) > 1})
    ]
    out += [
        f"{i} is used by a test ({', '.join(found[i])}) but is not in the register"
        for i in found
        if i not in listed
    ]
    out += [
        f"{i} is in the register but no test proves it" for i in register.proven if i not in found
    ]
    out += [
        f"{i} is listed as not yet proven but {', '.join(found[i])} proves it: move it up"
        for i in register.not_yet
        if i in found
    ]
    if text != with_proofs(text, found):
        out.append(
            "the 'Proven by:' lines are out of date: run python scripts/commitments.py --write"
        )
    return out


def with_proofs(text: str, found: dict[str, list[str]]) -> str:
    """The register with each proven entry's "Proven by:" line rewritten."""
    lines = text.splitlines()
    out: list[str] = []
    current = ""
    for line in lines:
        if line.startswith("## "):
            current = ""
        match = ENTRY.match(line)
        if match:
            current = match.group(1)
        if line.startswith(PROVEN) and current:
            files = found.get(current, [])
            line = f"{PROVEN} " + (", ".join(f"`{f}`" for f in files) if files else "(none)")
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the 'Proven by:' lines")
    args = parser.parse_args()
    text = REGISTER.read_text(encoding="utf-8")
    found = marks()
    if args.write:
        REGISTER.write_text(with_proofs(text, found), encoding="utf-8")
        text = REGISTER.read_text(encoding="utf-8")
    issues = problems(text, found)
    for issue in issues:
        print(issue, file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())

"""The long fuzz, on demand: ``make fuzz`` (or ``python bench/fuzz.py [pytest args]``).

Runs every parser fuzz test (payment webhooks, ES2+ notifications and answers,
inbound mail, usage records and files, the simulators' endpoints) with the
``fuzz`` hypothesis profile (``FUZZ_EXAMPLES`` examples each, 2,000 by
default), and schemathesis over the whole OpenAPI spec, one operation at a
time (``API_FUZZ_EXAMPLES`` each, 500 by default) and as a state machine that
follows the links between operations. The default suite runs the same tests
with a few dozen examples each. Any 5xx, unhandled exception or schema
violation fails the run, with the smallest example that shows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("roamwise/*/tests/test_fuzz_*.py")),
    "roamwise/core/tests/test_api_fuzz.py",
    "roamwise/core/tests/test_api_stateful.py",
    "roamwise/usage/tests/test_records.py",
]


def main() -> int:
    env = {
        **os.environ,
        "HYPOTHESIS_PROFILE": "fuzz",
        "FUZZ_EXAMPLES": os.environ.get("FUZZ_EXAMPLES", "2000"),
        "API_FUZZ_EXAMPLES": os.environ.get("API_FUZZ_EXAMPLES", "500"),
    }
    print(
        f"fuzzing with {env['FUZZ_EXAMPLES']} examples per parser test and "
        f"{env['API_FUZZ_EXAMPLES']} per API operation:",
        *TESTS,
        sep="\n  ",
        flush=True,
    )
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        *TESTS,
        *sys.argv[1:],
    ]
    code = subprocess.call(command, cwd=ROOT, env=env)  # noqa: S603 - our own test run
    print(f"fuzzing took {time.monotonic() - started:.0f}s; {'clean' if code == 0 else 'FAILED'}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""Audit the installed dependencies for known vulnerabilities (pip-audit).

Fails (exit 1) when an installed package has a known vulnerability that a
newer release fixes. A vulnerability with no fixed release yet is printed but
does not fail the build: there is nothing to upgrade to.

pip-audit asks a vulnerability service on the network. Where that service
cannot be reached every package comes back "skipped"; the script then says so
loudly and exits 0, because nothing was audited and nothing was found: it
must not be read as a clean audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        frozen = subprocess.run(
            [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        requirements.write_text(frozen)
        result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--progress-spinner",
                "off",
                "--no-deps",
                "--disable-pip",
                "--format",
                "json",
                "-r",
                str(requirements),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stderr or result.stdout, file=sys.stderr)
        print("dependency audit: pip-audit gave no report", file=sys.stderr)
        return 2
    status, lines = judge(report)
    for line in lines:
        print(line, file=sys.stderr if status else sys.stdout)
    return status


def judge(report: dict) -> tuple[int, list[str]]:
    """The exit status and the lines to print for one pip-audit JSON report."""
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if "skip_reason" in p]
    audited = [p for p in packages if "skip_reason" not in p]
    fixable, unfixed = [], []
    for package in audited:
        for vuln in package.get("vulns", []):
            line = f"{package['name']} {package['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                fixable.append(f"  VULNERABLE: {line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                unfixed.append(f"  known, no fix: {line} (no fixed release yet)")
    lines = [f"dependency audit: {len(audited)} packages audited, {len(skipped)} skipped"]
    lines += unfixed + fixable
    if packages and not audited:
        lines.append(
            "dependency audit: NOT AUDITED - the vulnerability service could not be "
            "reached, so no package was checked"
        )
    return (1 if fixable else 0), lines


if __name__ == "__main__":
    sys.exit(main())

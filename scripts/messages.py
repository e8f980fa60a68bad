"""Extract the shop's messages into its catalogues, or compile them.

    python scripts/messages.py extract   # manage.py makemessages for every language
    python scripts/messages.py compile   # .po -> .mo with Babel (no GNU gettext needed)

The catalogues are roamwise/locale/<lang>/LC_MESSAGES/django.po; the compiled
.mo files are committed beside them, so a fresh clone serves every language
without gettext tools (docs/contributing.md, ADR 0026).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "roamwise" / "locale"
# Django language codes as directory names: zh-hans is zh_Hans.
LOCALES = ("de", "fr", "es", "it", "ja", "zh_Hans")
# What makemessages must not read: tests and tools, not the shop.
IGNORE = ("tests/*", "*/tests/*", "e2e/*", "bench/*", "scripts/*", "var/*", "conftest.py")


def extract() -> None:
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--add-location=file"]
    for locale in LOCALES:
        command += ["-l", locale]
    for pattern in IGNORE:
        command += ["--ignore", pattern]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (our own fixed command)


def compile_catalogues() -> None:
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        # Untranslated entries are left out, so that gettext falls back to
        # English for them, plural forms included; fuzzy ones too, as msgfmt does.
        for message in list(catalog):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and not all(strings):
                del catalog[message.id]
        with po_path.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog, use_fuzzy=False)
        print(f"compiled {po_path.relative_to(ROOT)}")


if __name__ == "__main__":
    actions = {"extract": extract, "compile": compile_catalogues}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        sys.exit(f"usage: {sys.argv[0]} extract|compile")
    actions[sys.argv[1]]()

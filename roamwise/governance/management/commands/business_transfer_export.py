from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roamwise.governance.transfer import (
    TransferExportError,
    business_transfer_export,
    business_transfer_verify,
)


class Command(BaseCommand):
    help = (
        "Export the whole customer base with its policy obligations attached, as one ZIP "
        "encrypted for the buyer (SHR-06); --verify checks an export's checksums. See "
        "docs/business-transfer-export.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="The ZIP file to write (or to check with --verify).")
        parser.add_argument(
            "--force", action="store_true", help="Replace the file if it already exists."
        )
        parser.add_argument(
            "--chunk-size", type=int, default=200, help="Customers read per query (default 200)."
        )
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            metavar="AGE1...",
            help="The buyer's age public key: the export is encrypted for it (repeatable).",
        )
        parser.add_argument(
            "--plaintext",
            action="store_true",
            help="Write the ZIP unencrypted, to encrypt another way: say so explicitly.",
        )
        parser.add_argument(
            "--verify", action="store_true", help="Check an existing export instead of writing."
        )
        parser.add_argument(
            "--identity",
            type=Path,
            help="With --verify of an encrypted export: an age identity file of a recipient.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if options["verify"]:
            identity = ""
            if options["identity"]:
                try:
                    identity = options["identity"].read_text()
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"{options['identity']}: {exc}") from None
            try:
                problems = business_transfer_verify(path=out, identity=identity)
            except TransferExportError as exc:
                raise CommandError(exc.message) from None
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError(f"{out}: {len(problems)} problem(s)")
            self.stdout.write(self.style.SUCCESS(f"{out}: every checksum matches"))
            return
        if out.exists() and not options["force"]:
            raise CommandError(f"{out} exists; pass --force to replace it.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a directory.")
        if not options["recipient"] and not options["plaintext"]:
            raise CommandError(
                "The export holds every customer's data: give --recipient age1... (the "
                "buyer's public key) to encrypt it, or --plaintext to write it in clear."
            )
        if options["recipient"] and options["plaintext"]:
            raise CommandError("Give --recipient or --plaintext, not both.")
        try:
            export = business_transfer_export(
                out=out, chunk_size=options["chunk_size"], recipients=options["recipient"]
            )
        except TransferExportError as exc:
            raise CommandError(exc.message) from None
        sealed = ", encrypted for its recipients" if export.encrypted else ", NOT encrypted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{export.path}: {export.subjects} customers, {export.records} records, "
                f"{export.legal_holds} open legal holds{sealed}; manifest sha256 "
                f"{export.manifest_sha256}"
            )
        )

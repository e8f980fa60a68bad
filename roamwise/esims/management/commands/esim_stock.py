"""Load the operator's batch of profiles at the SM-DP+ into the shop (ADR 0006)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.devices.validators import iccid_normalise
from roamwise.esims.services.provisioning import profile_stock_add


class Command(BaseCommand):
    help = (
        "Add ICCIDs of the operator's own profiles at the SM-DP+ (one a line, as the "
        "vendor's batch file lists them; '-' reads standard input). DownloadOrder then "
        "asks for these by ICCID, which makes a lost answer safe to settle."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="file with one ICCID a line, or - for standard input")
        parser.add_argument("--profile-type", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = (
                sys.stdin.read()
                if options["file"] == "-"
                else Path(options["file"]).read_text(encoding="utf-8")
            )
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            # Nothing to add is a mistake (a wrong file, or a command before a
            # pipe that failed), not a batch of none.
            raise CommandError("No ICCIDs: the file is empty.")
        try:
            iccids = [iccid_normalise(line) for line in lines]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        added = profile_stock_add(profile_type=options["profile_type"], iccids=iccids)
        self.stdout.write(
            self.style.SUCCESS(f"{added} of {len(iccids)} {options['profile_type']} ICCIDs stocked")
        )

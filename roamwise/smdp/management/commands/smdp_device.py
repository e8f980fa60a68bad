from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.smdp.services import DeviceError, device_download


class Command(BaseCommand):
    help = "Act as a phone: download and install a released profile by its matching id."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("matching_id")
        parser.add_argument("--eid", default="89049032123451234512345678901235")
        parser.add_argument(
            "--outcome", choices=["installed", "rejected", "failed"], default="installed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            profile = device_download(
                matching_id=options["matching_id"], eid=options["eid"], outcome=options["outcome"]
            )
        except DeviceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{profile.iccid}: {profile.state}")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.smdp.services import inventory_add


class Command(BaseCommand):
    help = "Add profiles (Luhn-valid 19-digit ICCIDs) to the SM-DP+ simulator's inventory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--profile-type", default="roamwise-standard")
        parser.add_argument("--count", type=int, default=100)
        parser.add_argument("--operator", default="roamwise")
        parser.add_argument(
            "--top-up-to",
            action="store_true",
            help="add only what brings the available profiles of this type up to --count",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["count"] <= 1_000_000:
            raise CommandError("--count must be between 1 and 1000000")
        count = options["count"]
        if options["top_up_to"]:
            count -= SmdpProfile.objects.filter(
                profile_type=options["profile_type"],
                operator=options["operator"],
                state=ProfileState.AVAILABLE,
            ).count()
        added = (
            inventory_add(
                profile_type=options["profile_type"], count=count, operator=options["operator"]
            )
            if count > 0
            else 0
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"added {added} {options['profile_type']} profiles for {options['operator']}"
            )
        )

"""Print the stand-in SM-DP+'s batch file: the operator's available ICCIDs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from roamwise.smdp.models import ProfileState, SmdpProfile


class Command(BaseCommand):
    help = (
        "Print the ICCIDs of an operator's profiles still Available at the SM-DP+ simulator, "
        "one a line, as an SM-DP+ vendor's batch file lists them: the input of the shop's "
        "'manage.py esim_stock'. Profiles already downloaded or released are left out, so "
        "printing it again after the shop used some never offers those again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--profile-type", default="roamwise-standard")
        parser.add_argument("--operator", default="roamwise")

    def handle(self, *args: Any, **options: Any) -> None:
        iccids = (
            SmdpProfile.objects.filter(
                profile_type=options["profile_type"],
                operator=options["operator"],
                state=ProfileState.AVAILABLE,
            )
            .order_by("iccid")
            .values_list("iccid", flat=True)
        )
        for iccid in iccids.iterator():
            self.stdout.write(iccid)

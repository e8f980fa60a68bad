"""Record a recipient's screening and confidentiality agreement (SHR-07).

    manage.py partner_vetting email --policy-url https://... \\
        --screened-on 2026-11-02 --signed-on 2026-10-15
    manage.py partner_vetting --demo     # every recipient, for `make run`'s stand-ins

Until a recipient has one on record, no personal data is sent to it. Staff
can also record it in the back office (Privacy > Partner vetting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from roamwise.datamap.vocabulary import RECIPIENTS
from roamwise.kernel.disclosures import VETTING_NOT_NEEDED, partner_vetting_record
from roamwise.kernel.models import PartnerVetting

DEMO_NOTE = "Demo record for the stand-ins that make run serves; not a real screening."


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Record a recipient's screening and confidentiality agreement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("recipient", nargs="?", choices=sorted(RECIPIENTS))
        parser.add_argument("--policy-url", default="")
        parser.add_argument("--screened-on", default="")
        parser.add_argument("--signed-on", default="", help="the confidentiality agreement")
        parser.add_argument("--notes", default="")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="record every recipient not yet on record as vetted today (demo only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["demo"]:
            self._demo()
            return
        if not options["recipient"]:
            raise CommandError("name a recipient, or --demo")
        try:
            vetting = partner_vetting_record(
                recipient=options["recipient"],
                privacy_policy_url=options["policy_url"],
                screened_on=_date(options["screened_on"]),
                confidentiality_signed_on=_date(options["signed_on"]),
                notes=options["notes"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{vetting.recipient}: screened {vetting.screened_on}")

    def _demo(self) -> None:
        today = timezone.localdate()
        recorded = set(PartnerVetting.objects.values_list("recipient", flat=True))
        for code in sorted(set(RECIPIENTS) - recorded - VETTING_NOT_NEEDED):
            partner_vetting_record(
                recipient=code,
                privacy_policy_url=f"https://example.com/{code}/privacy",
                screened_on=today,
                confidentiality_signed_on=today,
                notes=DEMO_NOTE,
            )
            self.stdout.write(f"{code}: demo record")

"""Register a network partner and print its API key (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roamwise.usage import services
from roamwise.usage.models import Partner


class Command(BaseCommand):
    help = "Register a network partner that sends usage records, and print its API key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--iccid-prefix",
            action="append",
            required=True,
            help="ICCID prefix of the lines it carries (repeat for several)",
        )
        parser.add_argument("--requests-per-minute", type=int, default=120)
        parser.add_argument(
            "--key", default="", help="use this key instead of a new random one (demo set-ups)"
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing if the code is taken"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Partner.objects.filter(code=options["code"]).exists():
            if options["if_missing"]:
                self.stdout.write(f"partner {options['code']} exists")
                return
            raise CommandError(f"A partner with the code {options['code']!r} exists.")
        try:
            partner, key = services.partner_create(
                code=options["code"],
                name=options["name"],
                iccid_prefixes=" ".join(options["iccid_prefix"]),
                requests_per_minute=options["requests_per_minute"],
                key=options["key"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"partner {partner.code} registered"))
        if not options["key"]:
            self.stdout.write(f"API key (shown once): {key}")

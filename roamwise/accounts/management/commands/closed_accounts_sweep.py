from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from roamwise.accounts import services


class Command(BaseCommand):
    help = "Delete accounts whose closure grace period has ended (runs nightly in the job queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.closed_accounts_sweep(dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {count} closed account(s)")

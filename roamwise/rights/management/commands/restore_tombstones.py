from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.rights.tombstones import tombstones_restore


class Command(BaseCommand):
    help = (
        "After restoring the primary database or the key store from a backup: erase again "
        "every erased subject the restore brought back (SEC-05)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        run = tombstones_restore(dry_run=dry_run)
        would = "would " if dry_run else ""
        copied = ", ".join(f"{alias}: {n}" for alias, n in sorted(run.copied_to.items()))
        self.stdout.write(f"{run.tombstones} tombstone(s); {would}copy missing ones ({copied})")
        self.stdout.write(f"{would}erase again {len(run.erased)} account(s)")
        self.stdout.write(f"{would}destroy again {len(run.shredded)} data key(s)")
        if run.held:
            self.stdout.write(f"{len(run.held)} still under a legal hold (RET-07)")
        if run.incomplete:
            for subject_id, problem in sorted(run.incomplete.items()):
                self.stderr.write(f"{subject_id}: {problem}")
            raise CommandError(f"{len(run.incomplete)} erasure(s) incomplete")

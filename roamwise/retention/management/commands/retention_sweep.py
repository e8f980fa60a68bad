from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roamwise.retention import sweeps
from roamwise.retention.models import RetentionRun


class Command(BaseCommand):
    help = (
        "Apply the data map's retention rules (all, or those named with --rule), in "
        "chunks, and print what each did. The nightly job runs the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument(
            "--rule",
            action="append",
            default=[],
            metavar="MODEL",
            help='Only this rule, by its model, e.g. "support.Ticket" (repeatable).',
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=sweeps.DEFAULT_CHUNK_SIZE,
            help="Rows per transaction (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        try:
            run = sweeps.retention_sweep_run(
                dry_run=options["dry_run"],
                rules=options["rule"],
                chunk_size=options["chunk_size"],
                trigger=RetentionRun.Trigger.COMMAND,
            )
        except sweeps.UnknownRule as error:
            raise CommandError(error.message) from error
        self.stdout.write(render(run))
        if run.status == RetentionRun.Status.FAILED:
            raise CommandError(f"Some rules failed; see retention run {run.pk}.")


def render(run: RetentionRun) -> str:
    verbs = ("would delete", "would anonymise") if run.dry_run else ("deleted", "anonymised")
    header = ("rule", "action", verbs[0], verbs[1], "held", "failed")
    rows = [
        (
            rule.model,
            rule.action,
            str(rule.deleted),
            str(rule.anonymised),
            str(rule.held),
            str(rule.failed) + (f" ({rule.error})" if rule.error else ""),
        )
        for rule in run.rules.all()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    if run.dry_run:
        lines.append("Dry run: nothing was changed; the counts are what a run would do.")
    for n, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    finished = run.finished_at or run.started_at
    seconds = (finished - run.started_at).total_seconds()
    lines.append(f"Retention run {run.pk}: {run.get_status_display().lower()} in {seconds:.1f}s.")
    return "\n".join(lines)

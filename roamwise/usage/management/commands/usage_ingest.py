"""Ingest a partner's usage file: ``manage.py usage_ingest FILE.csv --partner CODE``.

The file is streamed in chunks; each chunk commits with the file's progress,
so a re-run of an interrupted import resumes where it stopped, and records
already stored count as duplicates rather than twice.
"""

from __future__ import annotations

import hashlib
import sys
import time
from itertools import dropwhile
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from roamwise.usage import records, services
from roamwise.usage.models import IngestBatch, IngestSource, Partner


def _sha256(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class Command(BaseCommand):
    help = "Ingest usage records from a CSV or JSONL file sent by a network partner."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a .csv (with a header) or .jsonl file")
        parser.add_argument("--partner", required=True, help="the partner's code")
        parser.add_argument("--chunk-size", type=int, default=20_000)
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="seconds to wait between chunks, to spare a busy database",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--again",
            action="store_true",
            help="read an already ingested file again (its records count as duplicates)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not 100 <= options["chunk_size"] <= 1_000_000:
            raise CommandError("--chunk-size must be between 100 and 1000000.")
        try:
            fmt = records.file_format(path)
            sha256, size = _sha256(path)
        except (records.FileFormatError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        partner = Partner.objects.filter(code=options["partner"], is_active=True).first()
        if partner is None:
            raise CommandError(f"No active partner with the code {options['partner']!r}.")

        batch = (
            IngestBatch.objects.filter(partner=partner, file_sha256=sha256)
            .order_by("-started_at")
            .first()
        )
        if batch is not None and batch.finished_at is not None and options["again"]:
            batch = None
        if batch is not None and batch.finished_at is not None:
            self.stdout.write(
                f"{path} was ingested on {batch.finished_at:%Y-%m-%d %H:%M}: "
                f"{batch.accepted} accepted, {batch.duplicates} duplicates, "
                f"{batch.rejected} rejected. Nothing to do."
            )
            return
        if batch is None:
            batch = IngestBatch.objects.create(
                partner=partner,
                source=IngestSource.FILE,
                file_name=path[-255:],
                file_sha256=sha256,
            )
        resume_after = batch.lines_done
        if resume_after:
            self.stdout.write(f"Resuming {path} after line {resume_after}.")

        progress = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc="usage",
            disable=options["no_progress"],
            file=sys.stderr,
        )
        stream = records.open_text(path)
        rejected = 0

        def on_chunk(last_line: int, result: services.IngestResult) -> None:
            nonlocal rejected
            for rejection in result.rejected:
                self.stderr.write(f"line {rejection.line}: {rejection.reason}")
            rejected += len(result.rejected)
            progress.n = stream.buffer.tell()
            progress.refresh()
            if options["pause"]:
                time.sleep(options["pause"])

        try:
            numbered = dropwhile(
                lambda item: item[0] <= resume_after, records.read_records(stream, fmt)
            )
            total = services.usage_ingest_stream(
                partner=partner,
                numbered=numbered,
                batch=batch,
                chunk_size=options["chunk_size"],
                on_chunk=on_chunk,
            )
        except records.FileFormatError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
            stream.close()
        batch.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {total.accepted} accepted, {total.duplicates} duplicates, "
                f"{rejected} rejected in this run "
                f"({batch.accepted} accepted in all)."
            )
        )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.audit.models import AccessEvent
from roamwise.audit.selectors import verify_chain
from roamwise.vault.models import AuditAnchor
from roamwise.vault.router import VAULT_DB


class Command(BaseCommand):
    help = (
        "Check the staff access log's hash chain against its sealed head and the latest "
        "anchor; name every edited, deleted or reordered row, and a truncated end."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(verify_chain())
        if problems:
            for problem in problems:
                self.stderr.write(problem.problem)
            raise CommandError(f"audit chain is broken in {len(problems)} place(s)")
        anchor = AuditAnchor.objects.using(VAULT_DB).order_by("-event_id", "-id").first()
        anchored = f", anchored up to event {anchor.event_id}" if anchor else ", not anchored yet"
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {AccessEvent.objects.count()} events{anchored}"
            )
        )

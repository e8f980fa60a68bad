from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.audit.models import AccessEvent
from roamwise.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Check the staff access log's hash chain; name every edited, deleted or reordered row."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(verify_chain())
        if problems:
            for problem in problems:
                self.stderr.write(problem.problem)
            raise CommandError(f"audit chain is broken in {len(problems)} place(s)")
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {AccessEvent.objects.count()} events")
        )

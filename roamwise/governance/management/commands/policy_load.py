"""Load the privacy policy versions shipped in roamwise/governance/policies (POL-01)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.governance import services
from roamwise.kernel.errors import PolicyError


class Command(BaseCommand):
    help = "Load the shipped privacy policy versions (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = services.policy_load()
        except PolicyError as exc:
            raise CommandError(str(exc)) from exc
        for version in created:
            self.stdout.write(f"loaded privacy policy {version.version}")
        if not created:
            self.stdout.write("privacy policy versions up to date")

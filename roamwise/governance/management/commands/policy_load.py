"""Load the privacy policy (POL-01) and terms of sale versions shipped in
roamwise/governance/policies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.governance import services
from roamwise.governance.models import PolicyDocument
from roamwise.kernel.errors import PolicyError


class Command(BaseCommand):
    help = "Load the shipped privacy policy and terms of sale versions (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for document in PolicyDocument:
            try:
                created = services.policy_load(document=document)
            except PolicyError as exc:
                raise CommandError(str(exc)) from exc
            name = document.label.lower()
            for version in created:
                self.stdout.write(f"loaded {name} {version.version}")
            if not created:
                self.stdout.write(f"{name} versions up to date")

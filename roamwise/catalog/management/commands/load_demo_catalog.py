from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_load_demo


class Command(BaseCommand):
    help = "Load every ISO 3166 country, the regions, and a demo set of plans (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the catalogue already has plans.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Plan.objects.exists():
            self.stdout.write("Catalogue already loaded; nothing to do.")
            return
        result = catalog_load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.countries} countries, {result.regions} regions and global, "
                f"{result.plans} plans."
            )
        )

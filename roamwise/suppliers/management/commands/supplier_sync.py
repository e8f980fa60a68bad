"""Import a supplier's catalogue: manage.py supplier_sync esimaccess"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from roamwise.suppliers.catalogue import supplier_catalogue_sync
from roamwise.suppliers.errors import SupplierError
from roamwise.suppliers.registry import SUPPLIERS


class Command(BaseCommand):
    help = "Import a supplier's packages; new ones arrive inactive for review."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("supplier", choices=sorted(SUPPLIERS))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = supplier_catalogue_sync(supplier_code=options["supplier"])
        except SupplierError as exc:
            raise CommandError(f"{options['supplier']}: {exc.message}") from exc
        self.stdout.write(summary.describe())

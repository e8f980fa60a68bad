"""The demo's wholesaler plans (``make demo``): import the catalogue of each
wholesaler stand-in SIMULATORS names with ``supplier_sync``, then put three
plans on sale: one supplied through Airalo, one through eSIM Access, and one
with both, Airalo first, so that stopping Airalo's stand-in sends the next
order to eSIM Access (ADR 0020).

The stand-ins run only under ``manage.py serve``; here the same stand-in (its
catalogue is built from its size alone, so it is the one ``serve`` runs) is
served on a free loopback port for the import, and the shop's settings point
at it meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from roamwise.catalog.models import Destination, Plan
from roamwise.suppliers.management.commands.run_supplier_standin import configured_standin
from roamwise.suppliers.models import SupplierPackage
from roamwise.suppliers.services import plan_sources_set
from roamwise.suppliers.standins.server import serve_in_thread

MARKUP = Decimal("1.35")


@dataclass(frozen=True)
class DemoPlan:
    destination: str  # ISO code of a country destination
    name: str
    sources: tuple[tuple[str, str], ...]  # (supplier, package id), preferred first


DEMO_PLANS = (
    DemoPlan("DE", "3 GB, 23 days (Airalo)", (("airalo", "de-2-3gb-23days"),)),
    DemoPlan("IT", "4 GB, 7 days (eSIM Access)", (("esimaccess", "P00003"),)),
    DemoPlan(
        "ES",
        "1 GB, 7 days (Airalo, else eSIM Access)",
        (("airalo", "es-0-1gb-7days"), ("esimaccess", "P00000")),
    ),
)
BASE_SETTING = {"airalo": "AIRALO_API_BASE", "esimaccess": "ESIMACCESS_API_BASE"}


def retail_price(costs: list[Decimal]) -> Decimal:
    """35 % over the dearest source, up to the next .99: never below any source's cost."""
    marked_up = (max(costs) * MARKUP).quantize(Decimal("1"), rounding=ROUND_UP)
    return marked_up - Decimal("0.01")


class Command(BaseCommand):
    help = (
        "Import the wholesaler stand-ins' catalogues and put the demo's wholesaler plans on sale."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        named = [code for code in ("airalo", "esimaccess") if code in settings.SIMULATORS]
        if not named:
            self.stdout.write("No wholesaler stand-in in SIMULATORS; nothing to do.")
            return
        for code in named:
            server, url = serve_in_thread(configured_standin(code))
            try:
                base = f"{url}/v2" if code == "airalo" else url
                with override_settings(**{BASE_SETTING[code]: base}):
                    call_command("supplier_sync", code, stdout=self.stdout)
            finally:
                server.shutdown()
                server.server_close()
        for demo in DEMO_PLANS:
            if all(supplier in named for supplier, _ in demo.sources):
                self._plan(demo)

    def _plan(self, demo: DemoPlan) -> None:
        packages = []
        for supplier, package_id in demo.sources:
            package = SupplierPackage.objects.filter(
                supplier=supplier, package_id=package_id
            ).first()
            if package is None:
                raise CommandError(f"{supplier} has no package {package_id}")
            packages.append(package)
        first = packages[0]
        plan, created = Plan.objects.get_or_create(
            destination=Destination.objects.get(code=demo.destination),
            name=demo.name,
            defaults={
                "data_mb": first.data_mb,
                "validity_days": first.validity_days,
                "price": retail_price([p.wholesale_amount for p in packages]),
                "currency": first.wholesale_currency,
            },
        )
        if created:
            plan_sources_set(plan_id=plan.pk, package_ids=[p.pk for p in packages])
        sources = ", then ".join(f"{p.supplier} {p.package_id}" for p in packages)
        self.stdout.write(f"{plan}: {plan.price} {plan.currency}, from {sources}")

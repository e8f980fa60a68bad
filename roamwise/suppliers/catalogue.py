"""Catalogue import: a supplier's packages into ``SupplierPackage``, set-based.

New packages arrive inactive, for staff to review; a changed wholesale cost
and a withdrawn package are reported (the summary, and a staff alert). A
withdrawn package is kept and marked unlisted: plans may point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.catalog.services import catalog_changed
from roamwise.notifications import services as notifications
from roamwise.suppliers.base import Package
from roamwise.suppliers.models import PlanSource, SupplierPackage
from roamwise.suppliers.registry import supplier_for

BATCH = 1000
UPDATED_FIELDS = (
    "title",
    "coverage",
    "region",
    "countries",
    "data_mb",
    "unlimited",
    "fair_use",
    "validity_days",
    "networks",
    "network_generation",
    "top_up",
    "wholesale_amount",
    "wholesale_currency",
    "listed",
)
UPDATE_BATCH = 200


@dataclass(frozen=True)
class PriceChange:
    package_id: str
    old: Decimal
    new: Decimal
    currency: str


@dataclass
class SyncSummary:
    supplier: str
    created: list[str] = field(default_factory=list)
    updated: int = 0
    price_changes: list[PriceChange] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.created or self.price_changes or self.withdrawn or self.returned)

    def describe(self) -> str:
        lines = [
            f"{self.supplier}: {len(self.created)} new (inactive, to review), "
            f"{self.updated} updated, {len(self.price_changes)} price changes, "
            f"{len(self.withdrawn)} withdrawn, {len(self.returned)} listed again."
        ]
        lines += [
            f"price {c.package_id}: {c.old} -> {c.new} {c.currency}" for c in self.price_changes
        ]
        lines += [f"withdrawn {package_id}" for package_id in self.withdrawn]
        return "\n".join(lines)


def supplier_catalogue_sync(*, supplier_code: str) -> SyncSummary:
    """Fetch the supplier's catalogue (outside any transaction) and import it."""
    packages = supplier_for(supplier_code).packages()
    summary = supplier_catalogue_import(supplier_code=supplier_code, packages=packages)
    if summary.needs_attention:
        notifications.notify_address(
            to=settings.STAFF_ALERT_EMAIL,
            kind="staff_alert",
            template="notifications/email/staff_alert",
            context={
                "title": f"Supplier catalogue changed: {supplier_code}",
                "message": summary.describe(),
            },
        )
    return summary


def supplier_catalogue_import(*, supplier_code: str, packages: list[Package]) -> SyncSummary:
    now = timezone.now()
    summary = SyncSummary(supplier=supplier_code)
    incoming = {p.package_id: p for p in packages}
    with transaction.atomic():
        existing = {
            row.package_id: row
            for row in SupplierPackage.objects.select_for_update().filter(supplier=supplier_code)
        }
        new_rows, changed_rows, seen_ids = [], [], []
        for package_id, package in incoming.items():
            row = existing.get(package_id)
            if row is None:
                row = SupplierPackage(
                    supplier=supplier_code, package_id=package_id, first_seen=now, active=False
                )
                _fill(row, package)
                row.last_seen = now
                new_rows.append(row)
                summary.created.append(package_id)
                continue
            if (
                row.wholesale_amount != package.wholesale.amount
                or row.wholesale_currency != package.wholesale.currency
            ):
                summary.price_changes.append(
                    PriceChange(
                        package_id,
                        row.wholesale_amount,
                        package.wholesale.amount,
                        package.wholesale.currency,
                    )
                )
            if not row.listed:
                summary.returned.append(package_id)
            seen_ids.append(row.pk)
            if _fill(row, package):
                changed_rows.append(row)
        withdrawn = [
            row for package_id, row in existing.items() if package_id not in incoming and row.listed
        ]
        for row in withdrawn:
            row.listed = False
            # A withdrawn package cannot be sold: it is taken off sale too.
            row.active = False
            summary.withdrawn.append(row.package_id)
        SupplierPackage.objects.bulk_create(new_rows, batch_size=BATCH)
        # bulk_update writes one CASE per field: only rows that changed go through it;
        # the rest are only seen again, in one UPDATE per batch.
        SupplierPackage.objects.bulk_update(changed_rows, UPDATED_FIELDS, batch_size=UPDATE_BATCH)
        for start in range(0, len(seen_ids), BATCH):
            SupplierPackage.objects.filter(pk__in=seen_ids[start : start + BATCH]).update(
                last_seen=now
            )
        SupplierPackage.objects.filter(pk__in=[row.pk for row in withdrawn]).update(
            listed=False, active=False
        )
        summary.updated = len(seen_ids)
        _plans_take_network_generation(supplier_code)
    summary.withdrawn.sort()
    return summary


def _plans_take_network_generation(supplier_code: str) -> None:
    """A plan supplied from this supplier's packages shows the network generation
    its first such source states; a plan whose supplier says nothing keeps its own."""
    stated: dict[int, str] = {}
    sources = (
        PlanSource.objects.filter(package__supplier=supplier_code)
        .exclude(package__network_generation="")
        .order_by("plan_id", "rank")
        .values_list("plan_id", "package__network_generation")
    )
    for plan_id, generation in sources:
        stated.setdefault(plan_id, generation)
    changed = 0
    for generation in set(stated.values()):
        plan_ids = [plan_id for plan_id, value in stated.items() if value == generation]
        changed += (
            Plan.objects.filter(pk__in=plan_ids)
            .exclude(network_generation=generation)
            .update(network_generation=generation)
        )
    if changed:
        catalog_changed()


def _fill(row: SupplierPackage, package: Package) -> bool:
    """Copy the package onto the row; True when anything changed."""
    values = {
        "title": package.title[:200],
        "coverage": package.coverage.value,
        "region": package.region[:64],
        "countries": list(package.countries),
        "data_mb": package.data_mb,
        "unlimited": package.unlimited,
        "fair_use": package.fair_use[:300],
        "validity_days": package.validity_days,
        "networks": list(package.networks),
        "network_generation": package.network_generation,
        "top_up": package.top_up,
        "wholesale_amount": package.wholesale.amount,
        "wholesale_currency": package.wholesale.currency,
        "listed": True,
    }
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed

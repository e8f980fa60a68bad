"""A wholesaler's package and a plan's source, for tests that need a plan's cost."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import factory
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.suppliers.models import PlanSource, SupplierPackage


class SupplierPackageFactory(factory.django.DjangoModelFactory):
    """An active local package of ``airalo`` at 3.00 USD, 1 GB for 7 days."""

    class Meta:
        model = SupplierPackage

    supplier = "airalo"
    package_id = factory.Sequence(lambda n: f"test-package-{n}")
    coverage = SupplierPackage.Coverage.LOCAL
    countries = factory.LazyFunction(lambda: ["FR"])
    data_mb = 1024
    validity_days = 7
    wholesale_amount = Decimal("3.00")
    wholesale_currency = "USD"
    active = True
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


def source_costing(
    plan: Plan, amount: str, currency: str = "USD", *, supplier: str = "airalo", rank: int = 1
) -> PlanSource:
    """A source of the plan (the preferred one unless ``rank`` says otherwise)
    whose package costs ``amount`` in ``currency``."""
    package = cast(
        SupplierPackage,
        SupplierPackageFactory(
            supplier=supplier,
            wholesale_amount=Decimal(amount),
            wholesale_currency=currency,
            plan=plan,
        ),
    )
    return PlanSource.objects.create(plan=plan, rank=rank, package=package)

"""Destinations and plans, for tests that need one of their own rather than
the demo catalogue (the ``catalog`` and ``plan`` fixtures)."""

from __future__ import annotations

from decimal import Decimal

import factory

from roamwise.catalog.models import Destination, Plan


class DestinationFactory(factory.django.DjangoModelFactory):
    """A country of its own, code ``Z1``, ``Z2``... (no real country's)."""

    class Meta:
        model = Destination

    code = factory.Sequence(lambda n: f"Z{n}")
    slug = factory.LazyAttribute(lambda d: f"test-{d.code.lower()}")
    name = factory.LazyAttribute(lambda d: f"Testland {d.code}")
    kind = Destination.Kind.COUNTRY


class PlanFactory(factory.django.DjangoModelFactory):
    """1 GB for 7 days at 5.00 USD, on the standard profile type."""

    class Meta:
        model = Plan

    destination = factory.SubFactory(DestinationFactory)
    name = factory.LazyAttribute(lambda p: f"{p.destination.name} {p.data_mb} MB")
    data_mb = 1024
    validity_days = 7
    price = Decimal("5.00")
    currency = "USD"

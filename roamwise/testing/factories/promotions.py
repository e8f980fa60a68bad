"""Promotions as staff set them up in the back office."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from roamwise.promotions.models import Promotion, PromotionAmount


class PromotionFactory(factory.django.DjangoModelFactory):
    """10 % off with code ``SAVE1``, ``SAVE2``..., once per customer, no other
    limit. ``amounts={"JPY": "300"}`` makes a fixed amount off per currency;
    ``destinations=[...]`` and ``plans=[...]`` limit it."""

    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promotion {n}")
    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = Promotion.Kind.PERCENT
    percent = factory.LazyAttribute(
        lambda p: Decimal("10") if p.kind == Promotion.Kind.PERCENT else None
    )

    @factory.post_generation
    def amounts(self, create: bool, extracted: dict[str, str] | None, **kwargs: Any) -> None:
        for currency, amount in (extracted or {}).items():
            PromotionAmount.objects.create(
                promotion=self, currency=currency, amount=Decimal(amount)
            )

    @factory.post_generation
    def destinations(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if extracted:
            self.destinations.set(extracted)

    @factory.post_generation
    def plans(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if extracted:
            self.plans.set(extracted)

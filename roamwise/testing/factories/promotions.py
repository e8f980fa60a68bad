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

    name = factory.Sequence(lambda n: f"Promotion {n}")
    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = Promotion.Kind.PERCENT
    percent = factory.LazyAttribute(
        lambda p: Decimal("10") if p.kind == Promotion.Kind.PERCENT else None
    )

    @classmethod
    def _create(cls, model_class: type[Promotion], *args: Any, **kwargs: Any) -> Promotion:
        amounts: dict[str, str] = kwargs.pop("amounts", {})
        destinations = kwargs.pop("destinations", [])
        plans = kwargs.pop("plans", [])
        promotion = model_class.objects.create(**kwargs)
        for currency, amount in amounts.items():
            PromotionAmount.objects.create(
                promotion=promotion, currency=currency, amount=Decimal(amount)
            )
        promotion.destinations.set(destinations)
        promotion.plans.set(plans)
        return promotion

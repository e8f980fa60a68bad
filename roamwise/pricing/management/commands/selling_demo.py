"""The demo's selling tools, ready to try in the back office (``make demo``):
a pricing rule of 35% over cost rounded to .99, to preview and apply, and the
promotion code SUMMER10, 10% off the plans of Europe. Made once; run again,
it changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roamwise.catalog.models import Destination
from roamwise.core.money import Rounding
from roamwise.pricing.models import PricingRule
from roamwise.promotions.models import Promotion

RULE_NAME = "35% over cost, to .99"
CODE = "SUMMER10"


class Command(BaseCommand):
    help = "Add the demo's pricing rule and promotion code SUMMER10, once."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        europe = Destination.objects.filter(code="europe").first()
        if europe is None:
            raise CommandError("Load the demo catalogue first (manage.py load_demo_catalog).")
        if not PricingRule.objects.filter(name=RULE_NAME).exists():
            rule = PricingRule(
                name=RULE_NAME,
                scope=PricingRule.Scope.ALL,
                currency=settings.DEFAULT_CURRENCY,
                markup_percent=Decimal("35"),
                rounding=Rounding.END_99,
            )
            rule.full_clean()
            rule.save()
            self.stdout.write(f"pricing rule: {RULE_NAME} (preview it under Sell > Pricing rules)")
        if not Promotion.objects.filter(code__iexact=CODE).exists():
            promotion = Promotion(
                name="Summer: 10% off Europe",
                code=CODE,
                kind=Promotion.Kind.PERCENT,
                percent=Decimal("10"),
            )
            promotion.full_clean()
            promotion.save()
            promotion.destinations.add(europe)
            self.stdout.write(f"promotion: {CODE}, 10% off the plans of Europe")

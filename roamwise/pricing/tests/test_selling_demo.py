"""The demo's pricing rule and promotion code, made once by ``make demo``."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from roamwise.pricing.models import PricingRule
from roamwise.promotions.models import Promotion


def test_the_demo_adds_a_rule_and_summer10_once(catalog: None) -> None:
    call_command("selling_demo", stdout=StringIO())
    call_command("selling_demo", stdout=StringIO())

    (rule,) = PricingRule.objects.all()
    assert (rule.markup_percent, rule.rounding, rule.is_active) == (35, "end_99", True)
    (promotion,) = Promotion.objects.filter(code__iexact="summer10")
    assert [d.code for d in promotion.destinations.all()] == ["europe"]

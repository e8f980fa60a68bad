"""``{{ order.money_total|money }}`` or ``{{ invoice.total|money:invoice.currency }}``:
every amount in a template is written by ``core.money.format_money``, in the
current language."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from django import template

from roamwise.core.money import Money, locale_name

register = template.Library()


@register.filter
def money(value: Money | Decimal | None, currency: str = "") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        return value.format()
    if not currency:
        raise template.TemplateSyntaxError("money needs a currency for a bare amount")
    return Money(Decimal(value), currency).format()


@register.filter
def percent(rate: Decimal | None) -> str:
    """A rate (0.2 for 20%) as the current language writes a percentage."""
    if rate is None or rate == "":
        return ""
    return str(format_percent(Decimal(rate), format="#,##0.##%", locale=locale_name()))

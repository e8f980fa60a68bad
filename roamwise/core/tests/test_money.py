"""Money written by locale, minor units, and the rounding rules prices share."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from roamwise.core.money import (
    Money,
    Rounding,
    format_money,
    from_minor_units,
    minor_units,
    round_price,
    to_minor_units,
)

NBSP = "\xa0"


def test_euros_are_written_as_each_language_writes_them() -> None:
    assert format_money(Decimal("4.50"), "EUR", language="de") == f"4,50{NBSP}€"
    assert format_money(Decimal("4.50"), "EUR", language="en") == "€4.50"
    assert format_money(Decimal("1234.5"), "EUR", language="fr") == f"1\u202f234,50{NBSP}€"


def test_yen_have_no_minor_unit_anywhere() -> None:
    assert minor_units("JPY") == 0 and minor_units("USD") == 2
    assert format_money(Decimal("675.00"), "JPY", language="en") == "¥675"
    assert str(Money(Decimal("675.00"), "JPY").quantized()) == "675"
    assert to_minor_units(Decimal("675.00"), "JPY") == 675
    assert to_minor_units(Decimal("4.50"), "USD") == 450
    assert from_minor_units(675, "JPY") == Decimal("675")
    assert from_minor_units(450, "USD") == Decimal("4.50")


def test_an_amount_finer_than_the_currency_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(Decimal("675.5"), "JPY")
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(Decimal("4.505"), "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "rule", "expected"),
    [
        ("4.20", "EUR", Rounding.END_99, "4.99"),
        ("4.99", "EUR", Rounding.END_99, "4.99"),
        ("5.00", "EUR", Rounding.END_99, "5.99"),
        ("4.991", "EUR", Rounding.END_99, "5.99"),
        ("674.2", "JPY", Rounding.WHOLE, "675"),
        ("675", "JPY", Rounding.WHOLE, "675"),
        ("4.01", "GBP", Rounding.WHOLE, "5.00"),
        ("4.005", "USD", Rounding.EXACT, "4.01"),
        ("674.5", "JPY", Rounding.EXACT, "675"),
    ],
)
def test_rounding_rules(amount: str, currency: str, rule: str, expected: str) -> None:
    rounded = round_price(Decimal(amount), currency, rule)
    assert str(rounded) == expected


def test_yen_cannot_end_in_99_cents() -> None:
    with pytest.raises(ValueError, match="no cents"):
        round_price(Decimal("675"), "JPY", Rounding.END_99)


def test_the_money_filter_writes_in_the_current_language() -> None:
    template = Template("{% load money %}{{ price|money }} / {{ amount|money:'EUR' }}")
    context = Context({"price": Money(Decimal("675"), "JPY"), "amount": Decimal("4.5")})
    with translation.override("de"):
        assert template.render(context) == f"675{NBSP}¥ / 4,50{NBSP}€"
    with translation.override("en"):
        assert template.render(context) == "¥675 / €4.50"

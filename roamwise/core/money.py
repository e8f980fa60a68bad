"""Money is a Decimal amount with an ISO 4217 currency; never a float.

How many decimals a currency has (JPY none, USD two) comes from CLDR through
Babel, and so does the way an amount is written in each language: one
function, ``format_money``, writes every amount a person reads. Minor units
(cents, whole yen) exist only at the payment boundary (``to_minor_units``).
Prices in other currencies are rounded by a named rule (``round_price``),
which the rate table and any later pricing rule share.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache

import pycountry
from babel.numbers import format_currency, get_currency_precision
from django.db import models
from django.utils.translation import gettext_lazy as _

from roamwise.core.countries import babel_locale, current_locale


@cache  # a few codes, asked for every price shown
def is_currency(code: str) -> bool:
    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit (ISO 4217 via CLDR): JPY 0, USD 2."""
    return int(get_currency_precision(currency))


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


def to_minor_units(amount: Decimal, currency: str, *, exponent: int | None = None) -> int:
    """The amount as a whole number of minor units (450 for 4.50 USD, 675 for
    675 JPY). ``exponent`` is for a processor that counts otherwise than ISO 4217.
    An amount finer than the currency allows is refused, never rounded away:
    the customer pays exactly what was shown."""
    digits = minor_units(currency) if exponent is None else exponent
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of {currency} minor units")
    return int(scaled)


def from_minor_units(amount: int, currency: str, *, exponent: int | None = None) -> Decimal:
    digits = minor_units(currency) if exponent is None else exponent
    return Decimal(amount).scaleb(-digits)


def locale_name(language: str | None = None) -> str:
    """The Babel locale of a Django language code ("zh-hans" -> "zh_Hans");
    the current language when none is given, the shop's default when Babel has
    no data (the same locale as country names, ``core.countries``)."""
    return str(babel_locale(language) if language else current_locale())


def format_money(amount: Decimal, currency: str, *, language: str | None = None) -> str:
    """The amount as a reader of the language writes it: "4,50 €" in German,
    "€4.50" in English, "¥675" without decimals."""
    return str(format_currency(amount, currency, locale=locale_name(language)))


class Rounding(models.TextChoices):
    """How a converted price is rounded, always upwards so that a price is never
    below what the rate gives."""

    EXACT = "exact", _("To the currency's smallest unit")
    WHOLE = "whole", _("Up to a whole unit (whole yen, whole euros)")
    END_99 = "end_99", _("Up to an amount ending in .99")


def round_price(amount: Decimal, currency: str, rule: str) -> Decimal:
    """Round a computed price by a rule, at the currency's precision.

    EXACT: half up to the minor unit. WHOLE: up to the next whole unit.
    END_99: up to the next amount ending in .99 (4.20 -> 4.99, 5.00 -> 5.99);
    a currency without cents has no .99, so the rule does not apply to it.
    """
    if rule == Rounding.EXACT:
        return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
    if rule == Rounding.WHOLE:
        return amount.quantize(Decimal(1), rounding=ROUND_CEILING).quantize(quantum(currency))
    if rule == Rounding.END_99:
        if minor_units(currency) < 2:
            raise ValueError(f"{currency} has no cents: a price cannot end in .99")
        cents = amount.quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        candidate = cents.quantize(Decimal(1), rounding=ROUND_CEILING) - Decimal("0.01")
        if candidate < cents:  # a whole amount: 5.00 goes to 5.99
            candidate += 1
        return candidate.quantize(quantum(currency))
    raise ValueError(f"unknown rounding rule {rule!r}")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if not is_currency(self.currency):
            raise ValueError(f"unknown currency {self.currency!r}")

    def quantized(self) -> Decimal:
        return self.amount.quantize(quantum(self.currency), rounding=ROUND_HALF_UP)

    def format(self, language: str | None = None) -> str:
        return format_money(self.quantized(), self.currency, language=language)

    def __str__(self) -> str:
        return self.format()

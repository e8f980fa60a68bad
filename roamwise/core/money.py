"""Money is a Decimal amount with an ISO 4217 currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import pycountry

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
# ISO 4217 minor units for the currencies that do not use two decimals.
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK"}


@cache  # a few codes, asked for every price shown
def is_currency(code: str) -> bool:
    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


def minor_units(currency: str) -> int:
    return 0 if currency in _ZERO_DECIMAL else 2


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
        exponent = Decimal(1).scaleb(-minor_units(self.currency))
        return self.amount.quantize(exponent, rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        symbol = _SYMBOLS.get(self.currency)
        amount = f"{self.quantized():,}"
        return f"{symbol}{amount}" if symbol else f"{amount} {self.currency}"

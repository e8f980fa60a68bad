"""Response periods of data-subject requests, by jurisdiction (RGT-09).

A period is ``<n>d`` (calendar days: CCPA's 45) or ``<n>m`` (calendar months:
GDPR Art. 12(3)'s "one month", extendable "by two further months"). A month
ends on the same day of the month it ends in, or on that month's last day when
there is no such day (31 January + 1 month = 28 or 29 February), as EU
Regulation 1182/71 Art. 3(2)(c) counts periods.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

KNOWN_JURISDICTIONS = {
    "default": "Anywhere else",
    "gdpr": "European Union, EEA or United Kingdom (GDPR)",
    "ccpa": "California (CCPA)",
}


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str  # "d" or "m"

    @classmethod
    def parse(cls, spec: str) -> Period:
        amount, unit = int(spec[:-1]), spec[-1]
        if unit not in ("d", "m") or amount < 1:
            raise ValueError(f"{spec!r} is not a period such as 30d or 1m")
        return cls(amount, unit)

    def after(self, start: datetime) -> datetime:
        if self.unit == "d":
            return start + timedelta(days=self.amount)
        local = timezone.localtime(start)
        index = local.month - 1 + self.amount
        year, month = local.year + index // 12, index % 12 + 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        return local.replace(year=year, month=month, day=day)

    def describe(self) -> str:
        if self.unit == "d":
            return f"{self.amount} days"
        return "one month" if self.amount == 1 else f"{self.amount} months"


def jurisdictions() -> list[tuple[str, str]]:
    """(name, label) of every configured jurisdiction, the default first."""
    names = sorted(settings.RIGHTS_RESPONSE_PERIODS, key=lambda n: (n != default(), n))
    return [(name, label(name)) for name in names]


def default() -> str:
    return str(settings.RIGHTS_DEFAULT_JURISDICTION)


def label(name: str) -> str:
    base = KNOWN_JURISDICTIONS.get(name, name.upper())
    return f"{base}: answered within {response_period(name).describe()}"


def response_period(jurisdiction: str) -> Period:
    periods = settings.RIGHTS_RESPONSE_PERIODS
    return Period.parse(periods.get(jurisdiction) or periods[default()])


def extension_period(jurisdiction: str) -> Period | None:
    spec = settings.RIGHTS_EXTENSION_PERIODS.get(jurisdiction)
    return Period.parse(spec) if spec else None


def due_after(received_at: datetime, jurisdiction: str) -> datetime:
    return response_period(jurisdiction).after(received_at)

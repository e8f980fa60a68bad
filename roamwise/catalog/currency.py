"""The currency a request sees prices in (ADR 0027).

In order: the visitor's choice on this browser (the currency cookie), the
signed-in customer's choice on their profile (kept in the session from
sign-in), the currency of the visitor's
country (only with consent to location, as everything that reads the
address), and the shop's default.
"""

from __future__ import annotations

from babel.numbers import get_territory_currencies
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from roamwise.consent.middleware import request_consent

from .pricing import rate_table

# Where a signed-in customer's profile currency is kept for their session
# (put there at sign-in by the accounts app, and when they choose one).
CURRENCY_SESSION_KEY = "currency"


def currencies_available() -> list[str]:
    """The currencies offered that have a price to show: the base currency and
    every one in the rate table (a per-plan price overrides the table)."""
    table = rate_table()
    return [c for c in settings.CURRENCIES if c == settings.DEFAULT_CURRENCY or c in table]


def is_available(currency: str) -> bool:
    if currency == settings.DEFAULT_CURRENCY:
        return True  # the base: no need to read the rate table
    return currency in settings.CURRENCIES and currency in rate_table()


def currency_of_country(country: str) -> str:
    """The currency in use today in a country (CLDR), or ""."""
    if not country:
        return ""
    found = get_territory_currencies(country.upper(), start_date=timezone.localdate())
    return str(found[0]) if found else ""


def request_currency(request: HttpRequest) -> str:
    cached: str | None = getattr(request, "_currency", None)
    if cached:
        return cached
    chosen = request.COOKIES.get(settings.CURRENCY_COOKIE_NAME, "").upper()
    if not is_available(chosen):
        # The profile's, put in the session at sign-in or when chosen.
        session = getattr(request, "session", None)
        chosen = str(session.get(CURRENCY_SESSION_KEY, "")) if session is not None else ""
    if not is_available(chosen):
        chosen = currency_of_country(request_consent(request).country())
    if not is_available(chosen):
        chosen = settings.DEFAULT_CURRENCY
    request._currency = chosen  # type: ignore[attr-defined]
    return chosen


def remember_currency(response: HttpResponse, currency: str) -> None:
    response.set_cookie(
        settings.CURRENCY_COOKIE_NAME,
        currency,
        max_age=settings.CURRENCY_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )

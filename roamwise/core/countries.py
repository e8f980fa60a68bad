"""Country and region names from CLDR, through Babel, in the shop's languages.

Names are never typed by hand: ``country_name("JP", "de")`` is CLDR's "Japan",
``country_name("JP", "fr")`` its "Japon". Without a language, the active one
(the page's or the email's) is used (ADR 0026).
"""

from __future__ import annotations

from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation


@cache
def babel_locale(language: str) -> Locale:
    """The Babel locale of a Django language code ("zh-hans" is Babel's "zh_Hans")."""
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def current_locale() -> Locale:
    return babel_locale(translation.get_language() or settings.LANGUAGE_CODE)


def country_name(code: str, language: str | None = None) -> str:
    """CLDR's name of an ISO 3166-1 alpha-2 country, or of a UN M.49 region
    ("150" is Europe), in ``language`` or the active one; the code itself when
    CLDR has no name for it."""
    locale = babel_locale(language) if language else current_locale()
    key = code.upper()
    return str(locale.territories.get(key) or key)


def shop_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name in the active language), by name:
    the choices of a country field, evaluated when a form is shown."""
    names = [(c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries]
    return sorted(names, key=lambda pair: pair[1].casefold())

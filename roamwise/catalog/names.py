"""A destination's names in every shop language, from CLDR through Babel.

A country's names are CLDR's ("Deutschland", "Allemagne", "ドイツ", "德国"); a
region's are CLDR's name of its UN M.49 area where there is one ("Europe" is
150), else the shop's own translation (the Middle East, the whole world).
Pages show ``display_name``; search matches any of ``destination_names``
(ADR 0026).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from babel import Locale
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from roamwise.core.countries import country_name, shop_languages

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from .models import Destination

# Regions by destination code: their UN M.49 area in CLDR.
M49_AREAS: dict[str, str] = {
    "europe": "150",
    "asia": "142",
    "africa": "002",
    "americas": "019",
    "oceania": "009",
}
# Areas CLDR has no name for: translated in the shop's own catalogues.
# The whole world too: CLDR's name of area 001 is the plain noun ("world"),
# not a plan's coverage.
OWN_NAMES: dict[str, _StrPromise] = {
    "middle-east": _("Middle East"),
    "global": _("Global"),
}


def _name_in(code: str, kind: str, fallback: str, language: str | None) -> str:
    if kind == "country":
        return country_name(code, language)
    if code in M49_AREAS:
        return country_name(M49_AREAS[code], language)
    if code in OWN_NAMES:
        if language is None:
            return str(OWN_NAMES[code])
        with translation.override(language):
            return str(OWN_NAMES[code])
    return fallback


def display_name(destination: Destination) -> str:
    """The destination's name in the active language."""
    return _name_in(destination.code, destination.kind, destination.name, None)


def destination_names(destination: Destination) -> dict[str, str]:
    """The destination's name in each shop language, by language code."""
    return {
        language: _name_in(destination.code, destination.kind, destination.name, language)
        for language in shop_languages()
    }


@cache
def _names_by_code() -> dict[str, frozenset[str]]:
    """Case-folded names of every CLDR country and of the regions above."""
    codes = [
        str(code)
        for code in Locale("en").territories
        if isinstance(code, str) and len(code) == 2 and code.isalpha()
    ]
    index: dict[str, frozenset[str]] = {}
    for code in codes:
        index[code] = frozenset(
            country_name(code, language).casefold() for language in shop_languages()
        )
    for code in [*M49_AREAS, *OWN_NAMES]:
        index[code] = frozenset(
            _name_in(code, "region", code, language).casefold() for language in shop_languages()
        )
    return index


def destination_codes_named(query: str) -> list[str]:
    """Codes of the destinations one of whose names in the shop's languages
    starts with ``query``, case-insensitive, and ``query`` is at least half of
    that name: "deutsch" and "Deutschland" find DE, "日本" JP, "japon" JP; "fran"
    is not taken for "Französisch-Polynesien" (it finds France by its name)."""
    needle = " ".join(query.casefold().split())
    if not needle:
        return []
    return sorted(
        code
        for code, names in _names_by_code().items()
        if any(name.startswith(needle) and 2 * len(needle) >= len(name) for name in names)
    )

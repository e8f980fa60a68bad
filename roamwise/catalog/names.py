"""Destination names in the shop's languages, from CLDR through Babel.

Countries are named by their ISO 3166-1 code; regions by the UN M.49 area CLDR
also names (Europe is "150"). A region CLDR has no name for is named only in
the catalogue's own language.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from .models import Destination

# The languages the shop is written in, as Babel names them.
NAME_LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh_Hans")

# Region and global destinations by the M.49 code CLDR names them under.
AREA_CODES = {
    "europe": "150",
    "asia": "142",
    "africa": "002",
    "americas": "019",
    "oceania": "009",
    "global": "001",
}


@cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def destination_names(destination: Destination) -> dict[str, str]:
    """The destination's name in each language CLDR has one for, by language."""
    key = destination.code if len(destination.code) == 2 else AREA_CODES.get(destination.code)
    if key is None:
        return {}
    names = {}
    for language in NAME_LANGUAGES:
        name = _territories(language).get(key.upper())
        if name:
            names[language] = name
    return names

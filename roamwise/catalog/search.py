"""Destination search that forgives: typos, other languages, places that are not countries.

Every destination is indexed under its name, its codes, its other names, its
CLDR names in the shop's languages (``names.destination_names``) and the places
in ``data/aliases.json`` that it covers ("Bali" is in Indonesia). A query is
compared with every term, after folding case and accents:

1. the same term: an exact match;
2. a term starting with the query, or with a word starting with it: what
   suggestions as you type need ("Jap", "Canary");
3. otherwise a term close enough by edit distance (rapidfuzz's ``ratio``):
   "Japn", "Tailand", "Swizerland".

Each destination counts once, under its best match. The index is built from the
database once per worker and catalogue version (``cache.cached``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from .cache import cached
from .models import Destination
from .names import destination_names

ALIASES_FILE = Path(__file__).resolve().parent / "data" / "aliases.json"

EXACT = 3
PREFIX = 2
FUZZY = 1
# rapidfuzz ratio (0-100) a term must reach to count as a typo of the query:
# "japn"/"japan" scores 89, "tailand"/"thailand" 93, "iran"/"iraq" only 75.
FUZZY_CUTOFF = 80
# Shorter queries are too ambiguous for typos ("us" is one edit from "uk").
FUZZY_MIN_LENGTH = 4
PREFIX_MIN_LENGTH = 2


@dataclass(frozen=True)
class Term:
    text: str  # folded
    code: str  # the destination's code
    shown: str  # the term as people write it: "Bali", "Japon"
    is_place: bool  # a place inside the destination, not one of its names
    popularity: int
    is_code: bool = False  # "TH", "THA": matched only in full, never shown


@dataclass(frozen=True)
class Match:
    code: str
    level: int  # EXACT, PREFIX or FUZZY
    score: float
    popularity: int
    term: str  # what matched, as written
    is_place: bool


def fold(text: str) -> str:
    """Lower case, without accents or punctuation, single spaces.

    "Côte d'Ivoire" becomes "cote d ivoire".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


@cache
def place_aliases() -> dict[str, str]:
    """The shipped places, as written, to the code of the destination covering each."""
    data = json.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    return {str(place): str(code) for place, code in data["aliases"].items()}


def _terms() -> tuple[Term, ...]:
    terms: dict[tuple[str, str], Term] = {}

    popularity: dict[str, int] = {}

    def add(text: str, code: str, *, is_place: bool = False, is_code: bool = False) -> None:
        folded = fold(text)
        if folded and (folded, code) not in terms:
            shown = "" if is_code else text.strip()
            terms[(folded, code)] = Term(
                folded, code, shown, is_place, popularity[code], is_code=is_code
            )

    destinations = Destination.objects.only("code", "alpha3", "name", "aliases", "popularity")
    for destination in destinations:
        popularity[destination.code] = destination.popularity
        add(destination.name, destination.code)
        add(destination.code, destination.code, is_code=True)
        if destination.alpha3:
            add(destination.alpha3, destination.code, is_code=True)
        for alias in destination.aliases.split(";"):
            add(alias, destination.code)
        for name in destination_names(destination).values():
            add(name, destination.code)
    for place, code in place_aliases().items():
        if code in popularity:
            add(place, code, is_place=True)
    return tuple(terms.values())


def search_terms(*, version: str) -> tuple[Term, ...]:
    """Every destination's terms, built once per worker and catalogue version."""
    return cached("search-terms", version=version, build=_terms)


def destination_matches(query: str, *, version: str, limit: int = 60) -> list[Match]:
    """The destinations matching ``query``, best first, each once.

    Codes ("TH", "THA") match only in full: a prefix or a typo of a code says nothing.
    """
    folded = fold(query)
    if not folded:
        return []
    terms = search_terms(version=version)
    best: dict[str, Match] = {}

    def offer(term: Term, level: int, score: float) -> None:
        current = best.get(term.code)
        candidate = Match(term.code, level, score, term.popularity, term.shown, term.is_place)
        if current is None or (level, score) > (current.level, current.score):
            best[term.code] = candidate

    for term in terms:
        if term.text == folded:
            offer(term, EXACT, 100.0)
        elif term.is_code:
            continue
        elif len(folded) >= PREFIX_MIN_LENGTH and (
            term.text.startswith(folded) or f" {folded}" in f" {term.text}"
        ):
            # A shorter remainder is a closer match: "japa" is nearer "japan" than "japanese".
            offer(term, PREFIX, 100.0 * len(folded) / len(term.text))
    if len(folded) >= FUZZY_MIN_LENGTH:
        words = [term for term in terms if not term.is_code]
        for _, score, index in process.extract(
            folded,
            [term.text for term in words],
            scorer=fuzz.ratio,
            score_cutoff=FUZZY_CUTOFF,
            limit=limit,
        ):
            offer(words[index], FUZZY, float(score))
    ranked = sorted(best.values(), key=lambda m: (-m.level, -m.score, -m.popularity, m.code))
    return ranked[:limit]


def exact_destination(matches: list[Match]) -> str | None:
    """The one destination the query names exactly, if there is exactly one."""
    exact = [m.code for m in matches if m.level == EXACT]
    return exact[0] if len(exact) == 1 else None

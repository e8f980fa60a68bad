"""The catalogues are complete and current (ADR 0026).

Every shop language but English has a catalogue in roamwise/locale; a message
there left untranslated or fuzzy, a placeholder lost in translation, a message
in the code missing from the catalogues, or a catalogue entry no code uses
fails here. The messages of the code are extracted the way makemessages does
(templates through Django's templatize, then Python's gettext calls), with
Babel, so no GNU gettext tools are needed.
"""

from __future__ import annotations

import gettext as gnu_gettext
import io
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.conf import settings
from django.template import engines
from django.utils import translation
from django.utils.translation.template import templatize

from roamwise.core.countries import country_name

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "roamwise" / "locale"
LOCALES = ["de", "fr", "es", "it", "ja", "zh_Hans"]
# The keywords makemessages gives xgettext for Python (django/core/management/commands).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdrfi]|%%")


def _catalogue(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po, locale=locale)


def _skipped(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "locale" in parts or parts[0] != "roamwise"


def _python_ids(source: str) -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for _line, _function, message, _comments in extract_python(
        io.BytesIO(source.encode()), list(KEYWORDS), [], {}
    ):
        if isinstance(message, tuple):
            strings = tuple(m for m in message if m is not None)
            found.add(strings[0] if len(strings) == 1 else strings)
        elif message:
            found.add(message)
    return found


@cache
def code_message_ids() -> frozenset[str | tuple[str, ...]]:
    """What makemessages would extract: every .py, .html and .txt under roamwise/."""
    found: set[str | tuple[str, ...]] = set()
    for path in sorted((ROOT / "roamwise").rglob("*")):
        if path.suffix not in {".py", ".html", ".txt"} or _skipped(path):
            continue
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            found |= _python_ids(source)
        elif "{% load" in source and "i18n" in source:
            found |= _python_ids(templatize(source, origin=str(path)))
    # A plural is listed by its (singular, plural) pair, as in the catalogues.
    return frozenset(message for message in found if message)


def catalogue_message_ids(locale: str) -> set[str | tuple[str, ...]]:
    return {message.id for message in _catalogue(locale) if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    catalogue = _catalogue(locale)
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and not all(message.string if isinstance(message.string, tuple) else [message.string])
    ]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]

    assert untranslated == []
    assert fuzzy == []
    assert not catalogue.fuzzy  # the header too: a fuzzy header drops the plural forms


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale: str) -> None:
    lost = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        source = "".join(message.id) if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(source))
        if isinstance(message.id, tuple):
            # A plural's singular may leave out the count ("one day"): the
            # forms together keep every placeholder.
            found = set(PLACEHOLDER.findall("".join(strings)))
            lost += [(message.id, strings)] if all(strings) and found != expected else []
        else:
            lost += [
                (message.id, s) for s in strings if s and set(PLACEHOLDER.findall(s)) != expected
            ]

    assert lost == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_holds_exactly_the_messages_of_the_code(locale: str) -> None:
    in_code = code_message_ids()
    in_catalogue = catalogue_message_ids(locale)

    assert sorted(map(str, in_code - in_catalogue)) == []  # run scripts/messages.py extract
    assert sorted(map(str, in_catalogue - in_code)) == []  # obsolete entries


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_source(locale: str) -> None:
    """The committed .mo is what scripts/messages.py compile makes of the .po."""
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gnu_gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for message in _catalogue(locale):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for index, string in enumerate(message.string):
                if string:
                    expected[(message.id[0], index)] = string
        elif message.string:
            expected[message.id] = message.string
    compiled = {key: value for key, value in compiled.items() if key != ""}

    assert compiled == expected  # run scripts/messages.py compile


def test_a_shop_language_without_a_catalogue_cannot_slip_in() -> None:
    codes = {code for code, _ in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert {translation.to_locale(code) for code in codes} == set(LOCALES)


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("JP", "fr", "Japon"),
        ("DE", "de", "Deutschland"),
        ("JP", "zh-hans", "日本"),
        ("JP", "ja", "日本"),
        ("GB", "es", "Reino Unido"),
        ("CH", "it", "Svizzera"),
        ("150", "fr", "Europe"),
    ],
)
def test_country_names_come_from_cldr(code: str, language: str, name: str) -> None:
    assert country_name(code, language) == name


def test_the_country_name_filter_follows_the_active_language() -> None:
    template = engines["django"].from_string("{% load countries %}{{ code|country_name }}")

    with translation.override("de"):
        german = template.render({"code": "FR"})
    with translation.override("fr"):
        french = template.render({"code": "DE"})

    assert (german, french) == ("Frankreich", "Allemagne")

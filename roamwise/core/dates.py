"""Dates and moments in the reader's language, written by Babel from CLDR.

One format everywhere a customer reads a date (pages and emails): a day is
``local_date`` ("7 December 2026", "7. Dezember 2026", "2026年12月7日"), a
moment ``local_datetime`` ("7 Dec 2026, 14:05", "7. Dez. 2026, 14:05"), in the
site's time zone and the active language (ADR 0027). Templates use the
``localdates`` filters; Django's "j M Y" would put English order and
abbreviations into every language.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_skeleton
from django.utils import timezone

from .countries import current_locale

# CLDR skeletons: which fields, not their order or punctuation, which the
# locale decides.
DATE_SKELETONS = {"long": "yMMMMd", "medium": "yMMMd", "day": "MMMd", "month": "yMMMM"}
# The shop's English is British ("Help centre"): "7 December 2026", not CLDR's
# American default for "en".
ENGLISH = Locale.parse("en_GB")


def _locale() -> Locale:
    locale = current_locale()
    return ENGLISH if locale.language == "en" else locale


def _moment(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def local_date(value: dt.date | dt.datetime | None, style: str = "long") -> str:
    """A day in the active language; a moment is taken on the site's clock."""
    if value is None or value == "":
        return ""
    day = _moment(value).date() if isinstance(value, dt.datetime) else value
    moment = dt.datetime.combine(day, dt.time())
    return str(format_skeleton(DATE_SKELETONS[style], moment, locale=_locale()))


def local_datetime(value: dt.datetime | None, style: str = "medium", *, zone: bool = False) -> str:
    """A moment in the active language and the site's time zone, to the minute;
    ``zone`` adds the zone's name (in an email, where the reader's clock may differ)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return local_date(value, "medium" if style == "medium" else "long")
    moment = _moment(value)
    locale = _locale()
    day = local_date(moment, style)
    time = str(format_skeleton("Hm", moment, locale=locale))
    # The locale's own way of joining a day and a time ("{1}, {0}", "{1} {0}").
    joined = str(locale.datetime_formats[style])
    text = joined.replace("{1}", day).replace("{0}", time)
    if zone and moment.tzname():
        text = f"{text} {moment.tzname()}"
    return text

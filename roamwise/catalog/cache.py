"""What the catalogue shows every visitor alike, built once per worker process.

Rendered fragments of the catalogue pages and the plans API's answers are kept
in the process's own memory (the ``local`` cache), under a key that holds the
catalogue's version from the shared cache (``selectors.catalog_version``): a
change in the back office gives a new version, and every worker builds afresh
on its next request. Nothing personal is ever kept here: what depends on the
visitor (consent, history, location, the signed-in header, CSRF tokens) is
rendered for each request around these fragments (ADR 0016).

A first visit (no cookie but the CSRF one, no query string) is the one case
where the whole page is the same for everyone: ``first_visit_page`` keeps it
whole, keyed by everything else it depends on (path, language, the Global
Privacy Control header, the year in the footer), and puts the visitor's own
CSRF token in on the way out. Anything else a page shows per request must be
added to that key, or the page must not go through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from roamwise.core.replica import primary_reads

T = TypeVar("T")

STORE = "local"
# A catalogue version lasts until the next change; this only bounds memory for
# versions no longer asked for.
KEEP_SECONDS = 3600


def cached(
    name: str, *parts: object, version: str, build: Callable[[], T], timeout: int = KEEP_SECONDS
) -> T:
    """``build()``'s value for this catalogue version and these parts, built at most
    once per process and version (a failing build raises and keeps nothing)."""
    # Fragments hold text in the active language: one copy per language.
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = ":".join(("catalog", name, version, language, *(str(part) for part in parts)))
    store = caches[STORE]
    value = store.get(key)
    if value is None:
        # Kept until the catalogue changes again: built from the primary, never
        # from a replica that may not have the change yet (ADR 0038).
        with primary_reads():
            value = build()
        store.set(key, value, timeout)
    return value


# What {% csrf_token %} writes; the token in it is masked afresh for every request.
CSRF_FIELD = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
CSRF_PLACEHOLDER = "__roamwise_csrf_token__"


def is_first_visit(request: HttpRequest) -> bool:
    """Nothing is known about this visitor: no session, consent choice, message
    or other cookie (only perhaps the CSRF cookie), nothing in the query."""
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}
    )


class _NotKept(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def first_visit_page(
    request: HttpRequest, *parts: object, version: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """``render()``'s page, kept whole for first visits (see the module's doc),
    also keyed by ``parts``; any other visitor, and any answer but a 200, gets
    ``render()`` itself."""
    if not is_first_visit(request):
        return render()
    gpc = request.headers.get("Sec-GPC", "").strip() == "1"

    def build() -> str:
        response = render()
        if response.status_code != 200 or response.streaming:
            raise _NotKept(response)
        html = response.content.decode(response.charset)
        return CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", html)

    try:
        html = cached(
            "page",
            request.path,
            getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            int(gpc),
            timezone.localdate().year,
            *parts,
            version=version,
            build=build,
        )
    except _NotKept as exc:
        return exc.response
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return HttpResponse(html)

"""The site's URLs plus the bare endpoint of bench/storefront.py.

bench/storefront.py serves the site with ``ROAMWISE_ROOT_URLCONF=bench.bare_urls``:
the same server, settings and middleware, with one more view that returns a
small constant answer without touching the database or a template. It is the
baseline the storefront's pages are measured against; it is mounted only here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from roamwise.urls import urlpatterns as site


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")


# First, so that resolving it costs no more than resolving the home page.
urlpatterns = [path("bench/bare", bare, name="bench_bare"), *site]

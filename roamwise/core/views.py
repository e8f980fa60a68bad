from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# Pages that are someone's own, or machine endpoints: of no use in a search engine.
ROBOTS_DISALLOW = (
    "/account/",
    "/accounts/",
    "/admin/",
    "/api/",
    "/checkout/",
    "/orders/",
    "/esims/",
    "/notifications/",
    "/rights/",
    "/destinations/suggest/",
)


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines.append(f"Sitemap: {settings.SITE_URL}/sitemap.xml")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")

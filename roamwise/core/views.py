from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import metrics
from .health import readiness_checks
from .identity import shop_identity
from .models import ShopIdentity


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


def _shop_image(field: str) -> HttpResponse:
    row = ShopIdentity.objects.filter(pk=1).only(field, f"{field}_type").first()
    content = getattr(row, field, None) if row is not None else None
    if not content:
        raise Http404
    response = HttpResponse(bytes(content), content_type=getattr(row, f"{field}_type"))
    # The URL carries the row's version (core.identity), so a change is a new URL.
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def shop_logo(request: HttpRequest) -> HttpResponse:
    return _shop_image("logo")


def shop_favicon(request: HttpRequest) -> HttpResponse:
    return _shop_image("favicon")


def shop_theme(request: HttpRequest) -> HttpResponse:
    """The shop's primary colour as a style sheet: pages allow no inline style (CSP)."""
    colour = shop_identity().primary_colour
    if not colour:
        raise Http404
    # Validated on save (core.models.validate_hex_colour): only # and hex digits.
    css = f":root {{ --brand: {colour}; --brand-dark: {colour}; }}\n"
    response = HttpResponse(css, content_type="text/css")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers. Restart it when it does not."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the databases, the shared cache and the job queue answer.
    Send no traffic to this instance while one does not (503, which one says)."""
    checks = readiness_checks()
    ready = all(ok for ok in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape, with ``Authorization: Bearer <METRICS_TOKEN>``.
    Without a token configured there is no such page."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponse("A metrics token is needed.\n", status=401, content_type="text/plain")
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

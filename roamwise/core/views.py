from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def privacy_policy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy_policy.html")


def cookie_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "core/cookie_settings.html")

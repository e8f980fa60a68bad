"""The analytics beacon (only with consent) and the staff dashboard."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from roamwise.consent.middleware import request_consent
from roamwise.consent.models import Purpose

from . import charts, selectors, services
from .models import Event

MAX_BODY = 2048
MAX_DWELL_MS = 6 * 3600 * 1000


def _problem(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _classify(path: str, client_step: str) -> tuple[str, str]:
    """The funnel step and destination of a path, as the server reads it."""
    try:
        match = resolve(path.split("?", 1)[0].split("#", 1)[0])
    except Resolver404:
        return "", ""
    name = match.view_name
    if name == "catalog:destination_detail":
        return Event.Step.DESTINATION, str(match.kwargs.get("slug", "")).lower()
    if name == "catalog:plan_detail":
        return Event.Step.PLAN, ""
    if name == "orders:checkout":
        return Event.Step.CHECKOUT, ""
    if name == "orders:detail" and client_step == Event.Step.PAID:
        return Event.Step.PAID, ""
    return "", ""


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return url_has_allowed_host_and_scheme(
        origin + "/", allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


# Beacons carry no CSRF token (sendBeacon cannot set headers); they are
# accepted from this site's own pages only, and only with analytics consent.
@csrf_exempt
@require_POST
def collect(request: HttpRequest) -> HttpResponse:
    if not _same_origin(request):
        return _problem(403, "cross_origin", "Events are accepted from this site only.")
    consent = request_consent(request)
    if not consent.allows(Purpose.ANALYTICS):
        return _problem(403, "no_consent", "No analytics consent: nothing is recorded.")
    if len(request.body) > MAX_BODY:
        return _problem(413, "too_large", f"An event is at most {MAX_BODY} bytes.")
    try:
        payload: Any = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "invalid_json", "The body must be a JSON object.")
    if not isinstance(payload, dict):
        return _problem(400, "invalid_json", "The body must be a JSON object.")
    kind = payload.get("kind")
    path = payload.get("path")
    target = payload.get("target", "")
    dwell = payload.get("dwell_ms")
    client_step = payload.get("step", "")
    if kind not in Event.Kind.values:
        return _problem(400, "invalid_kind", "kind must be pageview, click or dwell.")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 500:
        return _problem(400, "invalid_path", "path must be this site's path, starting with /.")
    if not isinstance(target, str) or not isinstance(client_step, str):
        return _problem(400, "invalid_field", "target and step must be strings.")
    if kind == Event.Kind.DWELL:
        if isinstance(dwell, bool) or not isinstance(dwell, int) or not 0 <= dwell <= MAX_DWELL_MS:
            return _problem(400, "invalid_dwell", "dwell_ms must be an integer of milliseconds.")
    else:
        dwell = None
    step, destination = _classify(path, client_step)
    user = request.user if request.user.is_authenticated else None
    subject = (
        selectors.subject_of_user(user)
        if user is not None
        else selectors.subject_of_visitor(consent.visitor_id or "")
    )
    services.event_record(
        subject=subject,
        kind=kind,
        path=path,
        target=target if kind == Event.Kind.CLICK else "",
        step=step if kind == Event.Kind.PAGEVIEW else "",
        destination=destination if kind == Event.Kind.PAGEVIEW else "",
        dwell_ms=dwell,
        country=consent.country(),
    )
    return HttpResponse(status=204)


@login_required
@permission_required("analytics.view_dashboard", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    data = selectors.dashboard(days=30)
    labels = [day.strftime("%d %b") for day in data.days]
    context = {
        "data": data,
        "visitors_chart": charts.column_chart(labels, data.visitors, title="Visitors per day"),
        "pageviews_chart": charts.column_chart(labels, data.pageviews, title="Page views per day"),
        "funnel_chart": charts.bar_list_chart(
            [(step.capitalize(), n) for step, n in data.funnel],
            title="Funnel: destination, plan, checkout, paid",
        ),
        "destinations_chart": charts.bar_list_chart(
            [(key.upper(), n) for key, n in data.destinations], title="Top destinations"
        ),
        "countries_chart": charts.bar_list_chart(
            [(key.upper(), n) for key, n in data.countries], title="Visitors by country"
        ),
    }
    return render(request, "analytics/dashboard.html", context)

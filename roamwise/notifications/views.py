from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from roamwise.core.typing import AuthenticatedRequest

from . import selectors, services
from .errors import InvalidUnsubscribeLink
from .tokens import unsubscribe_token_read


@login_required
@require_GET
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request: AuthenticatedRequest) -> HttpResponse:
    ids = []
    for raw in request.POST.getlist("id"):
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    services.notifications_mark_read(user=request.user, public_ids=ids or None)
    return redirect("notifications:list")


@require_GET
def unread(request: HttpRequest) -> JsonResponse:
    """What the bell polls."""
    if not request.user.is_authenticated:
        return JsonResponse({"unread": 0})
    return JsonResponse({"unread": selectors.unread_count(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        chosen = set()
        for value in request.POST.getlist("on"):
            kind, _, channel = value.partition(":")
            chosen.add((kind, channel))
        services.preferences_save(user=user, enabled=chosen)
        wants_marketing = request.POST.get("marketing") == "1"
        if wants_marketing != selectors.marketing_allowed(user=user):
            if wants_marketing:
                services.marketing_grant(user=user, source="settings")
            else:
                services.marketing_withdraw(user=user, source="settings")
        messages.success(request, gettext("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    context = {
        "rows": selectors.preference_rows(user=user),
        "marketing": selectors.marketing_allowed(user=user),
    }
    return render(request, "notifications/preferences.html", context)


@csrf_exempt  # RFC 8058: the mail provider POSTs with no cookie; the signed token is the authority
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a one-button page (link scanners must not unsubscribe anyone);
    POST, from that button or from the mail client's one-click, unsubscribes."""
    if unsubscribe_token_read(token) is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"token": token})
    try:
        services.unsubscribe(token=token)
    except InvalidUnsubscribeLink:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    return render(request, "notifications/unsubscribed.html")

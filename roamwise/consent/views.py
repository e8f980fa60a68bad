"""The banner's buttons, the cookie settings page, and the account's objection switches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from roamwise.core.typing import AuthenticatedRequest

from . import selectors, services, storage
from .forms import ConsentChoicesForm, ObjectionsForm
from .middleware import request_consent
from .models import GPC_PURPOSES, OPTIONAL_PURPOSES, Purpose, Source

BANNER_CHOICES = {"accept_all": True, "reject_all": False}


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def consent_choose(request: HttpRequest) -> HttpResponse:
    """The banner: "Accept all" or "Reject all", one click each, one form post."""
    choice = request.POST.get("choice", "")
    if choice not in BANNER_CHOICES:
        return HttpResponse("Choose accept_all or reject_all.", status=400)
    consent = request_consent(request)
    consent.save_choices(
        dict.fromkeys(OPTIONAL_PURPOSES, BANNER_CHOICES[choice]), source=Source.BANNER
    )
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "analytics": consent.allows(Purpose.ANALYTICS),
                "analytics_script": static("analytics/analytics.js"),
            }
        )
    return redirect(_safe_next(request))


@require_http_methods(["GET", "POST"])
def cookie_settings(request: HttpRequest) -> HttpResponse:
    """Granular choices, changeable at any time, from every page's footer (CKE-03)."""
    consent = request_consent(request)
    if request.method == "POST":
        form = ConsentChoicesForm(request.POST, gpc=consent.gpc)
        if form.is_valid():
            consent.save_choices(form.choices(), source=Source.SETTINGS)
            messages.success(request, gettext("Your choices are saved."))
            return redirect(_safe_next(request, fallback=request.path))
    user = request.user if request.user.is_authenticated else None
    current = selectors.consent_choices(user=user, visitor_id=consent.visitor_id)
    initial = {p: bool(v) for p, v in current.items()}
    if consent.gpc:
        initial.update(dict.fromkeys(GPC_PURPOSES, False))
    form = ConsentChoicesForm(initial=initial, gpc=consent.gpc)
    context = {
        "form": form,
        "blocked": selectors.blocked_purposes(user=user),
        "history": selectors.consent_history(user=user),
        "hide_consent_banner": True,
    }
    return render(request, "consent/cookie_settings.html", context)


@login_required
@require_POST
def objections_update(request: AuthenticatedRequest) -> HttpResponse:
    """Object to or restrict processing (RGT-06); effective from the next request on."""
    form = ObjectionsForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Invalid choices.", status=400)
    with transaction.atomic():
        changed = [
            services.objection_set(user=request.user, scope=scope, active=active)
            for scope, active in form.switches().items()
        ]
    if any(changed):
        messages.success(request, gettext("Your objections are saved and apply from now on."))
    return redirect("accounts:settings")


@require_http_methods(["GET", "HEAD"])
def cookie_policy(request: HttpRequest) -> HttpResponse:
    """The cookie policy (POL-04), generated from the declarations in storage.py."""
    items = storage.browser_storage()
    categories = [
        {"key": purpose.value, "label": purpose.label, "items": by_category}
        for purpose in Purpose
        if (by_category := [item for item in items if item.category == purpose])
    ]
    context = {
        "version": storage.cookie_policy_in_force(),
        "versions": list(reversed(storage.COOKIE_POLICY_VERSIONS)),
        "categories": categories,
        "kind_labels": storage.KIND_LABELS,
        "unused_categories": [
            p.label
            for p in (Purpose.ANALYTICS, Purpose.PREFERENCES, Purpose.MARKETING)
            if not any(item.category == p for item in items)
        ],
    }
    return render(request, "consent/cookie_policy.html", context)

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from roamwise.core.identity import shop_identity
from roamwise.core.typing import AuthenticatedRequest
from roamwise.kernel.errors import PolicyError
from roamwise.kernel.policies import policy_in_force

from . import selectors, services
from .contact import privacy_contact
from .models import PolicyDocument
from .rendering import markdown_to_html


@require_GET
def privacy_policy(request: HttpRequest) -> HttpResponse:
    """The policy in force, its dates, what changes next, the sections generated
    from the data map, the contacts, and every earlier version (POL-01, POL-03)."""
    in_force = policy_in_force()
    user = request.user
    context = {
        "version": in_force,
        "body": markdown_to_html(in_force.body) if in_force else "",
        "upcoming": selectors.policy_upcoming(),
        "versions": [v for v in selectors.policy_versions() if v != in_force],
        "sections": selectors.policy_sections(),
        "contact": privacy_contact(),
        "storage_location": (selectors.storage_location_of(user) if user.is_authenticated else ""),
    }
    return render(request, "governance/privacy_policy.html", context)


@require_GET
def policy_version(request: HttpRequest, label: str) -> HttpResponse:
    version = selectors.policy_version_get(label=label)
    if version is None:
        raise Http404("No such version of the privacy policy.")
    in_force = policy_in_force()
    context = {
        "version": version,
        "body": markdown_to_html(version.body),
        "in_force": in_force,
        "is_upcoming": in_force is None or version.effective_at > in_force.effective_at,
        "contact": privacy_contact(),
    }
    return render(request, "governance/policy_version.html", context)


def _seller() -> dict[str, str | int]:
    identity = shop_identity()
    return {
        "legal_name": identity.legal_name,
        "address": identity.address,
        "registration": identity.registration,
        "vat_number": identity.vat_number,
        "refund_unused_days": settings.REFUND_UNUSED_DAYS,
        "email": settings.PRIVACY_EMAIL,
        "phone": identity.support_phone,
    }


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    """The terms of sale in force (with the refund policy and the right of
    withdrawal), the seller's details, and every other version."""
    in_force = policy_in_force(document=PolicyDocument.TERMS)
    context = {
        "version": in_force,
        "text": selectors.policy_text(version=in_force) if in_force else None,
        "upcoming": selectors.policy_upcoming(document=PolicyDocument.TERMS),
        "versions": [
            v for v in selectors.policy_versions(document=PolicyDocument.TERMS) if v != in_force
        ],
        "seller": _seller(),
    }
    return render(request, "governance/terms.html", context)


@require_GET
def terms_version(request: HttpRequest, label: str) -> HttpResponse:
    version = selectors.policy_version_get(label=label, document=PolicyDocument.TERMS)
    if version is None:
        raise Http404("No such version of the terms of sale.")
    context = {
        "version": version,
        "text": selectors.policy_text(version=version),
        "in_force": policy_in_force(document=PolicyDocument.TERMS),
        "seller": _seller(),
    }
    return render(request, "governance/terms_version.html", context)


@require_GET
def company(request: HttpRequest) -> HttpResponse:
    """Who sells: legal name, address, registration and VAT number."""
    return render(request, "governance/company.html", {"seller": _seller()})


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def policy_accept(request: AuthenticatedRequest, label: str) -> HttpResponse:
    """Accept a published version ahead of its effective date (POL-02)."""
    version = selectors.policy_version_get(label=label)
    if version is None:
        raise Http404("No such version of the privacy policy.")
    try:
        services.policy_accept(user=request.user, version=version)
    except PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext("Thank you: you accepted privacy policy %(version)s.")
            % {"version": version.version},
        )
    fallback = reverse("governance:policy_version", args=[version.version])
    return redirect(_safe_next(request, fallback))


@permission_required("audit.view_records_of_processing", raise_exception=True)
def processors(request: HttpRequest) -> HttpResponse:
    """The registry of processors and partners, for the back office (SHR-02, RET-09)."""
    context = {
        **admin.site.each_context(request),
        "recipients": selectors.policy_sections().recipients,
    }
    return render(request, "governance/processors.html", context)

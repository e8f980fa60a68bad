"""A parent's answer to a child's account (CHD-02): grant, or refuse, which
erases the account at once through ``erasure.erase_subject``.

The page lives here rather than in ``accounts`` because one of its outcomes
is an erasure, and apps never import ``rights`` (ADR 0010). Its address is
the one the consent email has always carried.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from roamwise.accounts import services as accounts
from roamwise.accounts.errors import ConsentLinkExpired
from roamwise.core.errors import DomainError

from . import erasure


@require_http_methods(["GET", "POST"])
def parental_consent(request: HttpRequest, token: str) -> HttpResponse:
    try:
        consent = accounts.parental_consent_get(token=token)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "grant":
                accounts.parental_consent_grant(token=token)
                return render(request, "accounts/parental_consent_done.html", {"granted": True})
            if decision == "refuse":
                erasure.parental_refusal_erase(token=token)
                return render(request, "accounts/parental_consent_done.html", {"granted": False})
        except ConsentLinkExpired as exc:
            return render(
                request, "accounts/parental_consent.html", {"error": exc.message}, status=410
            )
        except DomainError as exc:
            return render(
                request,
                "accounts/parental_consent.html",
                {"consent": consent, "error": exc.message},
                status=400,
            )
        return render(
            request,
            "accounts/parental_consent.html",
            {"consent": consent, "error": "Choose whether you agree."},
            status=400,
        )
    return render(request, "accounts/parental_consent.html", {"consent": consent})

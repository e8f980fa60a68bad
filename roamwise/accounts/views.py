from __future__ import annotations

from datetime import timedelta

from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.account.views import ConfirmEmailView
from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from roamwise.audit.selectors import accesses_of
from roamwise.consent import selectors as consent_selectors
from roamwise.consent.forms import ObjectionsForm
from roamwise.core.typing import AuthenticatedRequest

from . import hooks, selectors, services
from .forms import PhoneUpdateForm
from .models import User


class StoredConfirmEmailView(ConfirmEmailView):
    """allauth's confirmation link, for the one confirmation still sent by
    link (an address staff asked to change to): with verification by code,
    allauth neither routes nor looks up stored keys itself."""

    def get_object(self, queryset: object = None) -> EmailConfirmation:
        confirmation = EmailConfirmation.from_key(self.kwargs["key"])
        if not confirmation:
            raise Http404
        return confirmation


confirm_email_link = StoredConfirmEmailView.as_view()


@login_required
def account_settings(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    context = {
        "profile": getattr(user, "profile", None),
        "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "mfa_enabled": is_mfa_enabled(user),
        "session_count": UserSession.objects.filter(user=user).count(),
        "login_history": selectors.login_history(user=user),
        "objections_form": ObjectionsForm(initial=consent_selectors.objections_of(user=user)),
    }
    return render(request, "accounts/settings.html", context)


@login_required
def data_access(request: AuthenticatedRequest) -> HttpResponse:
    """Who at the company opened or changed this customer's data, when and why."""
    events = accesses_of(subject=request.user)[:200]
    return render(request, "accounts/data_access.html", {"events": events})


@login_required
@require_http_methods(["GET", "POST"])
def phone_update(request: AuthenticatedRequest) -> HttpResponse:
    form = PhoneUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.profile_update_phone(user=request.user, phone=form.cleaned_data["phone"])
        messages.success(request, gettext("Your phone number was updated."))
        return redirect("accounts:settings")
    return render(request, "accounts/phone_update.html", {"form": form})


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def account_close(request: AuthenticatedRequest) -> HttpResponse:
    live_esims = hooks.esims_live_of(customer=request.user)
    context = {
        "live_esims": live_esims,
        # The day the sweep erases the account, and ends its eSIMs with it.
        "ends_at": timezone.now() + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS),
    }
    if request.method == "POST":
        if request.POST.get("confirm") != "close" or (
            live_esims and request.POST.get("confirm_esims") != "end"
        ):
            messages.error(
                request, gettext("Tick the boxes to confirm that you want to close the account.")
            )
            return render(request, "accounts/close.html", context, status=400)
        closure = services.account_close(user=request.user)
        logout(request)
        return render(request, "accounts/closed.html", {"closure": closure})
    return render(request, "accounts/close.html", context)


def awaiting_parental_consent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/awaiting_parental_consent.html", status=403)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, then back to the page), and for a
    signed-in customer the language kept on their account as well."""
    response = set_language(request)
    if isinstance(request.user, User):
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext


class StaffMFAMiddleware:
    """Staff reach the back office only with MFA on, and used in this session (ACC-03).

    A staff member without an authenticator is sent to set one up; one who has
    it but signed in before turning it on must confirm a code first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and request.path.startswith(reverse("admin:index"))
        ):
            if not is_mfa_enabled(user):
                messages.warning(
                    request, gettext("Staff accounts must turn on two-factor authentication first.")
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            if not any(
                record.get("method") == "mfa"
                for record in get_authentication_records(request, user)
            ):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in customer reads the shop in the language kept on their account
    (ADR 0026); LocaleMiddleware, before it, has chosen from the cookie or
    Accept-Language for everyone else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

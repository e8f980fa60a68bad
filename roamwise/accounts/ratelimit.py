"""Retry-After on allauth's rate-limit answers (USE-05, ACC-04).

allauth counts sign-ins, sign-ups and password resets (``ACCOUNT_RATE_LIMITS``)
and answers 429 once over, but says nothing of when to come back. It does not
tell which limit was hit either, so the answer is the longest window among the
limits of the action behind the URL: an upper bound, after which every counter
of that action has drained.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# allauth's URL names, of its pages and of its headless API, and the actions
# (keys of ACCOUNT_RATE_LIMITS) those views count.
ACTIONS_BY_URL_NAME: dict[str, tuple[str, ...]] = {
    "account_login": ("login", "login_failed"),
    "login": ("login", "login_failed"),
    "account_signup": ("signup",),
    "signup": ("signup",),
    "account_reset_password": ("reset_password",),
    "request_password_reset": ("reset_password",),
    "account_reset_password_from_key": ("reset_password_from_key",),
    "reset_password": ("reset_password_from_key",),
    "account_change_password": ("change_password",),
    "account_set_password": ("change_password",),
    "change_password": ("change_password",),
    "account_email": ("manage_email",),
    "manage_email": ("manage_email",),
    "account_reauthenticate": ("reauthenticate",),
    "reauthenticate": ("reauthenticate",),
    "account_email_verification_sent": ("confirm_email",),
    "account_confirm_email": ("confirm_email",),
    "verify_email": ("confirm_email",),
    "resend_email_verification_code": ("confirm_email",),
}
FALLBACK_SECONDS = 60


def retry_after_seconds(request: HttpRequest) -> int:
    """Seconds after which the request's rate-limited action is surely allowed again."""
    match = request.resolver_match
    actions = ACTIONS_BY_URL_NAME.get(match.url_name or "", ()) if match else ()
    limits = account_settings.RATE_LIMITS
    windows = [rate.duration for action in actions for rate in parse_rates(limits.get(action))]
    return int(max(windows, default=FALLBACK_SECONDS))


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The page allauth answers with once a limit is hit (``handler429`` in the URLconf)."""
    seconds = retry_after_seconds(request)
    response = render(
        request,
        "429.html",
        {"retry_after": seconds, "retry_minutes": max(1, -(-seconds // 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class RetryAfterMiddleware:
    """Adds Retry-After to a 429 that lacks one (allauth's headless API answers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after_seconds(request))
        return response

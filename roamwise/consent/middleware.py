"""The request's consent: who the visitor is, what they chose, and Global Privacy Control.

``request.consent`` answers ``allows(purpose)`` for the current request. The
visitor cookie holds only a random id, signed; it is set when a choice is made
(or a GPC signal recorded), never before, and is essential: it remembers the
choice itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from roamwise.core.geo import request_country

from . import selectors, services
from .models import GPC_PURPOSES, OPTIONAL_PURPOSES, Purpose

COOKIE_NAME = "rw_consent"
COOKIE_SALT = "roamwise.consent.visitor"
COOKIE_MAX_AGE = 395 * 24 * 3600  # 13 months, then the banner asks again
SESSION_GPC_FLAG = "consent_gpc_recorded"


def new_visitor_id() -> str:
    return secrets.token_urlsafe(24)


class RequestConsent:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.visitor_id: str | None = request.get_signed_cookie(
            COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE
        )
        self.gpc = request.headers.get("Sec-GPC", "").strip() == "1"
        self.set_cookie = False

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)

    def ensure_visitor(self) -> str:
        """The visitor id, minted (and its cookie set on the response) if new."""
        if not self.visitor_id:
            self.visitor_id = new_visitor_id()
            self.set_cookie = True
        return self.visitor_id

    def forget(self) -> None:
        self.__dict__.pop("state", None)
        self.__dict__.pop("chosen", None)

    @cached_property
    def chosen(self) -> bool:
        return selectors.has_chosen(user=self.user, visitor_id=self.visitor_id)

    @cached_property
    def state(self) -> dict[str, bool]:
        state = selectors.consent_state(user=self.user, visitor_id=self.visitor_id)
        if self.gpc:
            # GPC in this request wins over anything else for its purposes.
            for purpose in GPC_PURPOSES:
                state[purpose] = False
        return state

    def allows(self, purpose: str) -> bool:
        return self.state.get(purpose, False) if purpose in OPTIONAL_PURPOSES else True

    def country(self) -> str:
        """The country of the request's address, only with consent to
        location (AUT-03); "" otherwise."""
        return request_country(self.request) if self.allows(Purpose.LOCATION) else ""

    def save_choices(self, choices: dict[str, bool], *, source: str) -> None:
        if self.gpc:
            # A browser sending GPC has said no to these; the banner and the
            # settings page say so, and neither can turn them on meanwhile.
            choices = {p: v for p, v in choices.items() if p not in GPC_PURPOSES}
        user = self.user if getattr(self.user, "is_authenticated", False) else None
        visitor = None if user else self.ensure_visitor()
        if self.gpc:
            services.consent_apply_gpc(user=user, visitor_id=visitor)
        services.consent_choices_save(choices=choices, source=source, user=user, visitor_id=visitor)
        self.forget()

    def apply_gpc(self) -> None:
        """Record the GPC opt-out once per customer, or per visitor (CKE-03)."""
        user = self.user
        if getattr(user, "is_authenticated", False):
            session = self.request.session
            if session.get(SESSION_GPC_FLAG) == user.pk:
                return
            if services.consent_apply_gpc(user=user):
                self.forget()
            session[SESSION_GPC_FLAG] = user.pk
            return
        # A visitor who never chose has no id to record against; minting one
        # for every cookie-less request (crawlers) would grow the table without
        # end. The signal is honoured per request, and recorded with the choice.
        if self.visitor_id and services.consent_apply_gpc(visitor_id=self.visitor_id):
            self.forget()


class ConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        consent = RequestConsent(request)
        request.consent = consent  # type: ignore[attr-defined]
        if consent.gpc and _is_page_request(request):
            consent.apply_gpc()
        response = self.get_response(request)
        if consent.set_cookie and consent.visitor_id:
            response.set_signed_cookie(
                COOKIE_NAME,
                consent.visitor_id,
                salt=COOKIE_SALT,
                max_age=COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _is_page_request(request: HttpRequest) -> bool:
    # Static files, the API and machine endpoints do not record GPC signals.
    path = request.path
    return request.method in ("GET", "HEAD", "POST") and not path.startswith(
        (
            settings.STATIC_URL,
            "/api/",
            "/_allauth/",
            "/smdp/",
            "/gateway/",
            "/network/",
            "/esims/es2plus/",
        )
    )


def request_consent(request: HttpRequest) -> RequestConsent:
    consent = getattr(request, "consent", None)
    if consent is None:
        consent = RequestConsent(request)
        request.consent = consent  # type: ignore[attr-defined]
    return consent

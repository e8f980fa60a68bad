"""How every API router knows its customer: allauth's headless session token,
or the browser session. Here, below the apps, so that any app's API can use it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.contrib.auth import get_user_model
from django.http import HttpRequest

if TYPE_CHECKING:
    from roamwise.accounts.models import User


class SessionTokenAuth(XSessionTokenAuth):
    """allauth's headless session token, described fully in the OpenAPI spec."""

    openapi_in = "header"
    openapi_name = "X-Session-Token"


session_token_auth = SessionTokenAuth()


def authenticated_user(request: HttpRequest) -> User:
    """The customer behind an API call: by session token, or by browser session."""
    user_model = get_user_model()
    authenticated = getattr(request, "auth", None)
    user = authenticated if isinstance(authenticated, user_model) else request.user
    assert isinstance(user, user_model)
    return cast("User", user)

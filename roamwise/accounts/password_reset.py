"""allauth's password reset by link, with keys that name the account by its
public id instead of allauth's base-36 integer pk.

The key is ``<public id hex>-<token>``: ``adapter.AccountAdapter`` writes it
into the email; ``PublicIdUserTokenForm`` checks it for the web pages
(``ACCOUNT_FORMS["user_token"]``) and the headless inputs below for the app
API, whose view replaces allauth's on the same path (``roamwise/urls.py``).

Kept apart from ``forms.py``: allauth's forms module imports that one (the
sign-up form class), so importing allauth's forms there would be circular.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.forms import UserTokenForm
from allauth.headless.account import response as headless_response
from allauth.headless.account.inputs import ResetPasswordInput, ResetPasswordKeyInput
from allauth.headless.account.views import ResetPasswordView
from allauth.headless.internal.restkit.response import ErrorResponse
from django.http import HttpRequest, HttpResponse

from . import selectors
from .models import User


class PublicIdUserTokenForm(UserTokenForm):
    def _get_user(self, uidb36: str) -> User | None:
        return selectors.user_by_public_id(uidb36)


class _PublicIdKey:
    cleaned_data: dict[str, Any]
    user: Any

    def _clean_key_link(self) -> str:
        key = self.cleaned_data["key"]
        uid, _, subkey = key.partition("-")
        token_form = PublicIdUserTokenForm(data={"uidb36": uid, "key": subkey})
        if not token_form.is_valid():
            raise get_account_adapter().validation_error("invalid_password_reset")
        self.user = token_form.reset_user
        return key


class PublicIdResetPasswordKeyInput(_PublicIdKey, ResetPasswordKeyInput):
    pass


class PublicIdResetPasswordInput(_PublicIdKey, ResetPasswordInput):
    pass


class PublicIdResetPasswordView(ResetPasswordView):
    input_class = PublicIdResetPasswordInput

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.process is not None:  # reset by code: no key in a link
            return super().get(request, *args, **kwargs)
        key = request.headers.get("X-Password-Reset-Key", "")
        checked = PublicIdResetPasswordKeyInput({"key": key})
        if not checked.is_valid():
            return ErrorResponse(request, input=checked)
        return headless_response.PasswordResetKeyResponse(request, checked.user)

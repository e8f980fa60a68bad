from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from roamwise.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request behind ``login_required``: ``user`` is a real customer."""

    user: User

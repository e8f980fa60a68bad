from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import policy_pending_for


def policy_notice(request: HttpRequest) -> dict[str, Any]:
    """The significant policy change a signed-in customer has not accepted yet (POL-02)."""
    return {"policy_notice": policy_pending_for(user=getattr(request, "user", None))}

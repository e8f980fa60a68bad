"""What the browser tests look at in a page: cookies, storage, analytics calls."""

from __future__ import annotations

from typing import Any

ESSENTIAL_COOKIES = {"csrftoken", "sessionid", "rw_consent"}


def watch_analytics(page: Any) -> list[str]:
    """Every request the page makes for analytics: the script or a beacon."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: seen.append(request.url) if "analytics" in request.url else None,
    )
    return seen


def cookie_names(page: Any) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def storage_used(page: Any) -> int:
    return page.evaluate("() => window.localStorage.length + window.sessionStorage.length")

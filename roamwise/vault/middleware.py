from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .services import key_cache_scope


class KeyCacheMiddleware:
    """Unwrapped data keys live for one request at most."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_cache_scope():
            return self.get_response(request)

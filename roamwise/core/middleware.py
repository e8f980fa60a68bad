"""Answers for requests a machine endpoint cannot take, in the API's shape.

The JSON API, allauth's headless API and the inbound webhooks are the views
exempt from CSRF (machines post to them, not forms). Django refuses a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with its HTML 400 page; those callers
read ``{"code", "message"}`` and the status, so they get 413 in that shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def body_too_large_response() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse(
        {
            "code": "body_too_large",
            "message": _("The request body is larger than %(limit)s bytes.") % {"limit": limit},
        },
        status=413,
    )


def _declared_length(request: HttpRequest) -> int:
    # Django's limit leaves out the files of a multipart body; its own check,
    # while parsing, is answered by process_exception instead.
    if request.content_type == "multipart/form-data":
        return 0
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_machine_endpoint(view_func: Callable[..., Any]) -> bool:
    return bool(getattr(view_func, "csrf_exempt", False))


class BodyTooLargeMiddleware:
    """Placed before CsrfViewMiddleware, whose check reads the body first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (
            limit is not None
            and _is_machine_endpoint(view_func)
            and _declared_length(request) > limit
        ):
            return body_too_large_response()
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Django's own check, reached by a view that reads the body (multipart
        # fields counted while parsing, for instance).
        match = request.resolver_match
        if (
            isinstance(exception, RequestDataTooBig)
            and match is not None
            and _is_machine_endpoint(match.func)
        ):
            return body_too_large_response()
        return None

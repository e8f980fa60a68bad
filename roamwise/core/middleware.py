"""Answers for requests a machine endpoint cannot take, in the API's shape.

The JSON API, allauth's headless API and the inbound webhooks are the views
exempt from CSRF (machines post to them, not forms). Django refuses a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with its HTML 400 page; those callers
read ``{"code", "message"}`` and the status, so they get 413 in that shape.

A few machine endpoints take files as base64 inside their JSON body (ticket
attachments, evidence for a correction): ``body_limit_raise`` lets such an
endpoint accept a body as large as its own attachment limits need, and no other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _

from . import metrics, replica

# View name ("namespace:url_name") -> the largest body that endpoint takes,
# read from settings at each request so that the limits follow them.
_LARGER_BODIES: dict[str, Callable[[], int]] = {}


def body_limit_raise(*, view_name: str, limit: Callable[[], int]) -> None:
    """Let the endpoint named ``view_name`` take bodies up to ``limit()`` bytes,
    over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (never under it)."""
    _LARGER_BODIES[view_name] = limit


def body_limit(view_name: str | None) -> int | None:
    """The largest body the endpoint named ``view_name`` takes; None: no limit."""
    default: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raised = _LARGER_BODIES.get(view_name) if view_name is not None else None
    if default is None or raised is None:
        return default
    return max(default, raised())


def body_too_large_response(limit: int | None = None) -> JsonResponse:
    if limit is None:
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


def _body_read(request: HttpRequest, limit: int | None) -> HttpResponse | None:
    """Read the body of an endpoint with a raised limit, as ``HttpRequest.body``
    does but against that limit instead of the site-wide one; the view then
    reads it from memory. A 413 when it is over the limit after all."""
    stream = request._stream
    try:
        body = request.read() if limit is None else request.read(limit + 1)
    except OSError as exc:
        raise UnreadablePostError(*exc.args) from exc
    finally:
        stream.close()
    if limit is not None and len(body) > limit:
        return body_too_large_response(limit)
    request._body = body
    request._stream = BytesIO(body)
    return None


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
        if not _is_machine_endpoint(view_func):
            return None
        match = request.resolver_match
        limit = body_limit(match.view_name if match is not None else None)
        declared = _declared_length(request)
        if limit is not None and declared > limit:
            return body_too_large_response(limit)
        default = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if default is not None and declared > default:
            return _body_read(request, limit)
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


class MetricsMiddleware:
    """Times every request by its route, for ``/metrics`` (core/metrics.py).

    The label is the URL pattern that answered ("destinations/<slug:slug>/"),
    never the path, so no id or token reaches a metric; a path no pattern
    matched is "unmatched"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        metrics.HTTP_REQUEST_SECONDS.labels(
            route=route[:100],
            method=request.method if request.method in KNOWN_METHODS else "other",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ReplicaMiddleware:
    """Lets a visitor's safe request read the catalogue from the replica
    (``core/replica.py``, ADR 0038).

    Only a GET, HEAD or OPTIONS of someone not signed in: a signed-in customer
    or staff member reads the primary throughout, so their own orders, eSIMs,
    requests and edits are there the moment they are written. Without
    ``DATABASE_REPLICA_URL`` it does nothing. After the authentication
    middleware, which it asks who is there.
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not replica.replica_configured()
            or request.method not in self.SAFE_METHODS
            or request.user.is_authenticated
        ):
            return self.get_response(request)
        with replica.replica_reads():
            return self.get_response(request)

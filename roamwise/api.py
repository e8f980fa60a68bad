"""The JSON API: one NinjaAPI, each app contributing a router.

Errors are always ``{"code": ..., "message": ...}`` with a 4xx status for bad
input; ``detail`` carries field-level validation problems.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from roamwise.accounts.api import router as accounts_router
from roamwise.catalog.api import router as catalog_router
from roamwise.consent.api import router as consent_router
from roamwise.core.errors import DomainError
from roamwise.core.middleware import body_too_large_response
from roamwise.core.ratelimit import RateLimited
from roamwise.devices.api import router as devices_router
from roamwise.esims.api import router as esims_router
from roamwise.orders.api import router as orders_router
from roamwise.rights.api import router as rights_router
from roamwise.support.api import router as support_router
from roamwise.usage.api import router as usage_router


class RoamwiseAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """The spec, saying of every operation that reads a JSON body what ninja's
        parser answers when the body is not JSON: 400 (found by stateful fuzzing),
        and what a body over DATA_UPLOAD_MAX_MEMORY_SIZE gets: 413."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        not_json = {"description": "The body is not JSON.", "content": error}
        too_large = {"description": "The body is too large.", "content": error}
        for path in schema["paths"].values():
            for operation in path.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault(400, not_json)
                    operation["responses"].setdefault(413, too_large)
        return schema


api = RoamwiseAPI(
    title="Roamwise API",
    version="1",
    description=(
        "Travel eSIM catalogue and account API. Authenticate with the browser session, "
        "or with the `X-Session-Token` header obtained from allauth's headless "
        "endpoints under `/_allauth/app/v1/`."
    ),
    urls_namespace="api",
    docs_url=None,
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, detail: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message)


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error_response(request, exc.status, exc.code, exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {"loc": list(error.get("loc", [])), "msg": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return error_response(
        request, 422, "invalid_input", gettext("The request is not valid."), detail
    )


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Usually answered before the view (core.middleware); this is the same
    # answer when ninja's parser is the first to read the body.
    return body_too_large_response()


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "not_authenticated", gettext("Sign in to use this endpoint.")
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", gettext("Not found."))


HTTP_ERROR_CODES = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # 403 here is ninja's CSRF check for cookie-authenticated unsafe requests.
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


api.add_router("/", catalog_router)
api.add_router("/", accounts_router)
api.add_router("/", orders_router)
api.add_router("/", esims_router)
api.add_router("/", devices_router)
api.add_router("/", usage_router)
api.add_router("/", consent_router)
api.add_router("/", support_router)
api.add_router("/", rights_router)

"""HTTP face of the network partner simulator: a small JSON API for the shop,
behind a Bearer key. Views parse and render; ``services`` decides."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from roamwise.core.faults import fault_admin_view, faulty

from . import selectors, services
from .errors import InvalidRequest, NetworkError
from .models import NetworkBundle, NetworkSubscription


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="network"'
    return response


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.NETWORK_PARTNER_API_KEY}".encode()
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")
    return hmac.compare_digest(given, expected)


def _json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return body


def _whole_number(value: Any, what: str) -> int:
    # JSON true is not 1, and 5.0 is not a whole number of megabytes.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{what} must be a whole number.")
    return value


def _subscription_json(subscription: NetworkSubscription) -> dict[str, Any]:
    return {"iccid": subscription.iccid, "state": subscription.state}


def _bundle_json(bundle: NetworkBundle) -> dict[str, Any]:
    return {
        "reference": bundle.reference,
        "data_mb": bundle.data_mb,
        "validity_days": bundle.validity_days,
        "coverage": bundle.coverage.split(),
        "added_at": bundle.added_at.isoformat(),
    }


def _idempotency_key(request: HttpRequest) -> str | None:
    # Optional, as at most partners; the shop always sends one.
    return request.headers.get("Idempotency-Key")


def _answer(answer: services.Answer) -> JsonResponse:
    status, body = answer
    return JsonResponse(body, status=status)


def _transition_view(
    change: Callable[..., NetworkSubscription], action: str
) -> Callable[[HttpRequest, str], HttpResponse]:
    @csrf_exempt
    @require_http_methods(["POST"])
    @faulty("network")
    def view(request: HttpRequest, iccid: str) -> JsonResponse:
        if not _authorised(request):
            return _error("Bad or missing API key.", 401)

        def perform() -> services.Answer:
            return 200, _subscription_json(change(iccid=iccid))

        try:
            return _answer(
                services.request_once(
                    key=_idempotency_key(request),
                    request={"action": action, "iccid": iccid},
                    perform=perform,
                )
            )
        except NetworkError as exc:
            return _error(exc.message, exc.status)

    return view


subscription_suspend = _transition_view(services.subscription_suspend, "suspend")
subscription_resume = _transition_view(services.subscription_resume, "resume")
subscription_terminate = _transition_view(services.subscription_terminate, "terminate")


@csrf_exempt
@require_http_methods(["GET"])
def subscription_detail(request: HttpRequest, iccid: str) -> JsonResponse:
    if not _authorised(request):
        return _error("Bad or missing API key.", 401)
    try:
        subscription = selectors.subscription_get(iccid=iccid)
    except NetworkError as exc:
        return _error(exc.message, exc.status)
    return JsonResponse(
        {
            **_subscription_json(subscription),
            "bundles": [_bundle_json(bundle) for bundle in subscription.bundles.all()],
        }
    )


@csrf_exempt
@require_http_methods(["POST"])
@faulty("network")
def bundles(request: HttpRequest, iccid: str) -> JsonResponse:
    if not _authorised(request):
        return _error("Bad or missing API key.", 401)
    try:
        body = _json_object(request)
        reference = body.get("reference")
        if not isinstance(reference, str):
            raise InvalidRequest("reference must be a string.")
        if "data_mb" not in body:  # never unlimited by omission
            raise InvalidRequest("data_mb is missing; give null for an unlimited bundle.")
        raw_data_mb = body["data_mb"]
        data_mb = None if raw_data_mb is None else _whole_number(raw_data_mb, "data_mb (or null)")
        validity_days = _whole_number(body.get("validity_days"), "validity_days")
        coverage = body.get("coverage", [])
        if not isinstance(coverage, list):
            raise InvalidRequest("coverage must be a list of country codes.")

        def perform() -> services.Answer:
            bundle, created = services.bundle_add(
                iccid=iccid,
                reference=reference,
                data_mb=data_mb,
                validity_days=validity_days,
                coverage=coverage,
            )
            return (201 if created else 200), _bundle_json(bundle)

        return _answer(
            services.request_once(
                key=_idempotency_key(request),
                request={"action": "bundle", "iccid": iccid, "body": body},
                perform=perform,
            )
        )
    except NetworkError as exc:
        return _error(exc.message, exc.status)


# The fault switch of the stand-in (ADR 0017): off unless SIMULATOR_FAULTS is on.
fault_admin = fault_admin_view("network", authorised=_authorised)

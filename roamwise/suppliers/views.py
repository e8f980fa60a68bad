from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from roamwise.core import metrics
from roamwise.core.errors import DomainError
from roamwise.suppliers import services
from roamwise.suppliers.esimaccess import EsimAccess

logger = logging.getLogger(__name__)


def _receive(request: HttpRequest, supplier_code: str) -> HttpResponse:
    try:
        outcome = services.webhook_receive(
            supplier_code=supplier_code, body=request.body, headers=request.headers
        )
    except DomainError as exc:
        logger.warning("supplier %s webhook refused: %s", supplier_code, exc.message)
        metrics.WEBHOOK_REJECTIONS.labels(source=supplier_code, reason=exc.code).inc()
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    return JsonResponse({"received": True, "outcome": outcome})


@csrf_exempt  # authenticated by the supplier's signature instead
def airalo_webhook(request: HttpRequest) -> HttpResponse:
    # Airalo checks a webhook URL with HEAD when one is registered and expects 200.
    if request.method == "HEAD":
        return HttpResponse(status=200)
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed", "message": "POST only."}, status=405)
    return _receive(request, "airalo")


@csrf_exempt  # authenticated by the secret token in the URL: eSIM Access does not sign
@require_POST
def esimaccess_webhook(request: HttpRequest, token: str) -> HttpResponse:
    if not EsimAccess.from_settings().webhook_token_matches(token):
        metrics.WEBHOOK_REJECTIONS.labels(source="esimaccess", reason="bad_token").inc()
        return JsonResponse({"code": "not_found", "message": "No such webhook."}, status=404)
    return _receive(request, "esimaccess")


@csrf_exempt  # authenticated by the supplier's signature instead
@require_POST
def esimgo_webhook(request: HttpRequest) -> HttpResponse:
    return _receive(request, "esimgo")

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from roamwise.core import metrics
from roamwise.core.errors import DomainError

from . import services

PROCESSORS = ("simulated", "stripe")


@csrf_exempt  # authenticated by the processor's signature instead
@require_POST
def webhook(request: HttpRequest, processor: str) -> HttpResponse:
    """Verify the signature first, then deduplicate; 2xx to duplicates too."""
    if processor not in PROCESSORS:
        return JsonResponse({"code": "not_found", "message": "No such processor."}, status=404)
    try:
        outcome = services.webhook_receive(
            processor=processor, body=request.body, headers=request.headers
        )
    except DomainError as exc:
        metrics.WEBHOOK_REJECTIONS.labels(source=processor, reason=exc.code).inc()
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    return JsonResponse({"received": True, "outcome": outcome})

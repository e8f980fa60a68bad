"""HTTP face of the simulated gateway: a small JSON API for the merchant
(Bearer secret key) and the hosted payment pages for the customer."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from roamwise.core.faults import fault_admin_view, faulty
from roamwise.core.money import is_currency, minor_units, quantum
from roamwise.core.parsing import json_loads
from roamwise.core.security import origin

from . import services
from .models import GatewaySession
from .services import GatewayError

REQUIRED_SESSION_FIELDS = (
    "amount",
    "currency",
    "description",
    "merchant_reference",
    "success_url",
    "cancel_url",
    "webhook_url",
)


def _answers_late(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """The API answers after GATEWAY_LATENCY_SECONDS (0 by default), as a slow
    processor does: load tests hold the shop's threads on it (ADR 0018)."""

    @wraps(view)
    def late(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        response = view(request, *args, **kwargs)
        time.sleep(settings.GATEWAY_LATENCY_SECONDS)
        return response

    return late


def _error(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.GATEWAY_SECRET_KEY}"
    return hmac.compare_digest(request.headers.get("Authorization", ""), expected)


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json_loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _amount(raw: Any, currency: str = "") -> Decimal | None:
    """A money amount: finite, below 100 million, and no finer than the
    currency's minor unit (ISO 4217): "4.50" USD, "675" JPY but never "675.5"
    JPY. Two decimals at most when the currency is not said (refunds: the
    payment's currency applies)."""
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= 10**8:
        return None
    digits = minor_units(currency) if currency else 2
    if amount != amount.quantize(Decimal(1).scaleb(-digits)):
        return None
    return amount


def _currency(raw: Any) -> str:
    """An ISO 4217 code, upper case, or ""."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    return code if is_currency(code) else ""


def _session_json(session: GatewaySession, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": session.id,
        "status": session.status,
        "amount": str(Decimal(session.amount).quantize(quantum(session.currency))),
        "currency": session.currency,
        "url": request.build_absolute_uri(f"/gateway/pay/{session.id}/"),
        "card": {
            "brand": session.card_brand,
            "last4": session.card_last4,
            "exp_month": session.card_exp_month,
            "exp_year": session.card_exp_year,
        },
    }


@csrf_exempt
@require_http_methods(["POST"])
@faulty("gateway")
@_answers_late
def api_sessions(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return _error("unauthorised", "Bad or missing secret key.", 401)
    body = _json_body(request)
    if body is None:
        return _error("invalid_json", "The body must be a JSON object.")
    missing = [f for f in REQUIRED_SESSION_FIELDS if not isinstance(body.get(f), str | int)]
    if missing:
        return _error("invalid_request", f"Missing or bad fields: {missing}")
    currency = _currency(body.get("currency"))
    if not currency:
        return _error("invalid_currency", "currency must be an ISO 4217 code.")
    amount = _amount(body.get("amount"), currency)
    if amount is None:
        return _error(
            "invalid_amount",
            f"amount must be a decimal string in {currency}'s minor unit "
            f"({minor_units(currency)} decimals).",
        )
    try:
        session = services.session_create(
            amount=amount,
            currency=currency,
            description=str(body["description"]),
            merchant_reference=str(body["merchant_reference"])[:100],
            success_url=str(body["success_url"]),
            cancel_url=str(body["cancel_url"]),
            webhook_url=str(body["webhook_url"]),
        )
    except GatewayError as exc:
        return _error(exc.code, exc.message)
    return JsonResponse(_session_json(session, request), status=201)


@csrf_exempt
@require_http_methods(["GET"])
@faulty("gateway")
@_answers_late
def api_session(request: HttpRequest, session_id: str) -> JsonResponse:
    if not _authorised(request):
        return _error("unauthorised", "Bad or missing secret key.", 401)
    session = GatewaySession.objects.filter(pk=session_id).first()
    if session is None:
        return _error("no_such_session", "No such session.", 404)
    return JsonResponse(_session_json(session, request))


@csrf_exempt
@require_http_methods(["POST"])
@faulty("gateway")
@_answers_late
def api_refunds(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return _error("unauthorised", "Bad or missing secret key.", 401)
    body = _json_body(request)
    amount = _amount(body.get("amount")) if body else None
    if body is None or amount is None or not isinstance(body.get("session"), str):
        return _error("invalid_request", "Give a session and an amount.")
    try:
        refund = services.refund_create(
            session_id=body["session"], amount=amount, reference=str(body.get("reference", ""))[:64]
        )
        return JsonResponse(refund, status=201)
    except GatewayError as exc:
        return _error(exc.code, exc.message, 404 if exc.code == "no_such_session" else 400)


@csrf_exempt
@require_http_methods(["POST"])
def api_dispute(request: HttpRequest, session_id: str) -> JsonResponse:
    """Test helper of the simulator: the cardholder disputes the payment."""
    if not _authorised(request):
        return _error("unauthorised", "Bad or missing secret key.", 401)
    try:
        return JsonResponse(services.dispute_open(session_id=session_id), status=201)
    except GatewayError as exc:
        return _error(exc.code, exc.message)


def _int(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else None


def _back_to_merchant(response: HttpResponse, session: GatewaySession) -> HttpResponse:
    """The hosted page's form answers with a redirect to the merchant's URLs,
    which browsers check against form-action: allow the merchant's origin."""
    targets = {origin(session.success_url), origin(session.cancel_url)} - {""}
    if targets:
        response._csp_update = {"form-action": sorted(targets)}  # type: ignore[attr-defined]
    return response


@sensitive_post_parameters("card_number", "cvc")
@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(GatewaySession, pk=session_id)
    if session.status == GatewaySession.Status.SUCCEEDED:
        return HttpResponseRedirect(session.success_url)
    if session.status == GatewaySession.Status.CHALLENGED:
        return HttpResponseRedirect(f"/gateway/pay/{session.id}/challenge/")
    error = ""
    if request.method == "POST":
        month, year = (
            _int(request.POST.get("exp_month", "")),
            _int(request.POST.get("exp_year", "")),
        )
        if month is None or year is None:
            error = "Enter the expiry month and year."
        else:
            try:
                outcome = services.card_submit(
                    session_id=session.id,
                    number=request.POST.get("card_number", ""),
                    exp_month=month,
                    exp_year=year + 2000 if year < 100 else year,
                    cvc=request.POST.get("cvc", ""),
                )
            except GatewayError as exc:
                error = exc.message
            else:
                if outcome == "success":
                    return HttpResponseRedirect(session.success_url)
                if outcome == "challenge":
                    return HttpResponseRedirect(f"/gateway/pay/{session.id}/challenge/")
                error = {
                    "card_declined": "Your card was declined.",
                    "insufficient_funds": "Your card has insufficient funds.",
                    "processing_error": "An error occurred while processing your card. Try again.",
                }.get(outcome, "The payment failed.")
    # The card number is never echoed back into the page.
    return _back_to_merchant(
        render(
            request,
            "gateway/pay.html",
            {"session": session, "error": error},
            status=400 if error else 200,
        ),
        session,
    )


@require_http_methods(["GET", "POST"])
def challenge_page(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(GatewaySession, pk=session_id)
    if request.method == "POST":
        try:
            approved = services.challenge_complete(
                session_id=session.id, approved=request.POST.get("decision") == "approve"
            )
        except GatewayError:
            return HttpResponseRedirect(f"/gateway/pay/{session.id}/")
        if approved:
            return HttpResponseRedirect(session.success_url)
        return _back_to_merchant(
            render(
                request,
                "gateway/pay.html",
                {"session": session, "error": "Authentication failed."},
                status=400,
            ),
            session,
        )
    return _back_to_merchant(
        render(request, "gateway/challenge.html", {"session": session}), session
    )


# The fault switch of the stand-in (ADR 0017): off unless SIMULATOR_FAULTS is on.
fault_admin = fault_admin_view("gateway", authorised=_authorised)

"""ES2+ server side (SGP.22 §6.5.2): one POST per function, JSON in and out.

SGP.22 §6.3: a synchronous function answers 200 whether it succeeded or
failed; the outcome is in ``header.functionExecutionStatus``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from roamwise.core.faults import fault_admin_view, faulty
from roamwise.core.parsing import json_loads

from . import codes, services
from .codes import Es2Failure

PROTOCOL_VERSION = "gsma/rsp/v2.2.0"
Handler = Callable[[str, dict[str, Any]], dict[str, Any]]
ICCID = re.compile(r"^[0-9]{19}[0-9F]?$")
EID = re.compile(r"^[0-9]{32}$")
MATCHING_ID = re.compile(r"^[-0-9A-Z]*$")


def _text(
    body: dict[str, Any],
    name: str,
    *,
    required: bool = False,
    pattern: re.Pattern[str] | None = None,
) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise codes.missing(name)
        return ""
    if not isinstance(value, str) or (pattern and not pattern.match(value)):
        raise codes.malformed(f"{name} is not valid")
    return value


def _download_order(operator: str, body: dict[str, Any]) -> dict[str, Any]:
    iccid = _text(body, "iccid", pattern=ICCID)
    profile_type = _text(body, "profileType")
    if not iccid and not profile_type:
        raise codes.missing("profileType")
    profile = services.download_order(
        operator=operator,
        eid=_text(body, "eid", pattern=EID),
        iccid=iccid,
        profile_type=profile_type,
        call_id=body["header"]["functionCallIdentifier"],
    )
    return {"iccid": profile.iccid}


def _confirm_order(operator: str, body: dict[str, Any]) -> dict[str, Any]:
    release = body.get("releaseFlag")
    if release is None:
        raise codes.missing("releaseFlag")
    if not isinstance(release, bool):
        raise codes.malformed("releaseFlag must be a boolean")
    profile = services.confirm_order(
        operator=operator,
        iccid=_text(body, "iccid", required=True, pattern=ICCID),
        eid=_text(body, "eid", pattern=EID),
        matching_id=_text(body, "matchingId", pattern=MATCHING_ID),
        confirmation_code=_text(body, "confirmationCode"),
        release=release,
        smds_address=_text(body, "smdsAddress"),
    )
    output: dict[str, Any] = {
        "matchingId": profile.matching_id,
        "smdpAddress": settings.SMDP_ADDRESS,
    }
    if profile.eid:
        output["eid"] = profile.eid
    return output


def _cancel_order(operator: str, body: dict[str, Any]) -> dict[str, Any]:
    services.cancel_order(
        operator=operator,
        iccid=_text(body, "iccid", required=True, pattern=ICCID),
        eid=_text(body, "eid", pattern=EID),
        matching_id=_text(body, "matchingId"),
        final_status=_text(body, "finalProfileStatusIndicator", required=True),
    )
    return {}


def _release_profile(operator: str, body: dict[str, Any]) -> dict[str, Any]:
    services.release_profile(
        operator=operator, iccid=_text(body, "iccid", required=True, pattern=ICCID)
    )
    return {}


def _get_profile_status(operator: str, body: dict[str, Any]) -> dict[str, Any]:
    """Vendor extension (reference §1.2): ``iccidList`` or ``downloadOrderCallIdentifier``."""
    iccid_list = body.get("iccidList", [])
    download_call = _text(body, "downloadOrderCallIdentifier")
    if not isinstance(iccid_list, list) or not all(
        isinstance(item, dict) and isinstance(item.get("iccid"), str) and ICCID.match(item["iccid"])
        for item in iccid_list
    ):
        raise codes.malformed('iccidList must be a list of {"iccid": ...}')
    if not iccid_list and not download_call:
        raise codes.missing("iccidList")
    profiles = services.profile_status(
        operator=operator,
        iccids=[item["iccid"] for item in iccid_list],
        download_call=download_call,
    )
    statuses = []
    for profile in profiles:
        status = {
            "iccid": profile.iccid,
            "state": profile.state,
            "profileType": profile.profile_type,
            "status_last_update_timestamp": profile.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if profile.eid:
            status["eid"] = profile.eid
        if profile.matching_id:
            status["acToken"] = profile.matching_id
        statuses.append(status)
    return {"profileStatusList": statuses}


FUNCTIONS: dict[str, Handler] = {
    "downloadOrder": _download_order,
    "confirmOrder": _confirm_order,
    "cancelOrder": _cancel_order,
    "releaseProfile": _release_profile,
    "getProfileStatus": _get_profile_status,
}


def _certificate_names(request: HttpRequest) -> list[str] | None:
    """The subject common names of the TLS client certificate the server
    verified (gunicorn under ``run_smdp --client-ca``); None without one."""
    peer = getattr(request.META.get("gunicorn.socket"), "getpeercert", None)
    certificate = peer() if callable(peer) else None
    if not certificate:
        return None
    return [
        value
        for rdn in certificate.get("subject", ())
        for name, value in rdn
        if name == "commonName"
    ]


def _authenticate(request: HttpRequest, requester: str) -> None:
    """SGP.22 §6.1.1: the requester is who its TLS client certificate says; where
    no certificate comes, the secret agreed with that requester (Bearer)."""
    names = _certificate_names(request)
    if names is not None:
        if requester not in names:
            # A certificate for operator A does not speak for operator B.
            raise codes.requester_not_allowed(requester)
        return
    expected = settings.SMDP_OPERATOR_TOKENS.get(requester, "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not (
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    ):
        raise codes.unknown_requester(requester)


def _parse(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    version = request.headers.get("X-Admin-Protocol", "")
    # Accept any 2.x; the header names the sender's highest version (§6.5.1).
    if not version.startswith("gsma/rsp/v2."):
        raise codes.unsupported_version(version)
    if request.content_type != "application/json":
        raise codes.malformed("Content-Type must be application/json")
    try:
        body = json_loads(request.body)
    except ValueError:
        raise codes.malformed("the body is not JSON") from None
    if not isinstance(body, dict):
        raise codes.malformed("the body must be a JSON object")
    header = body.get("header")
    if not isinstance(header, dict):
        raise codes.missing("header")
    requester = header.get("functionRequesterIdentifier")
    call = header.get("functionCallIdentifier")
    if not isinstance(requester, str) or not requester:
        raise codes.missing("functionRequesterIdentifier")
    if not isinstance(call, str) or not call:
        raise codes.missing("functionCallIdentifier")
    if requester not in settings.SMDP_OPERATORS:
        raise codes.unknown_requester(requester)
    _authenticate(request, requester)
    return requester, body


def _request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer(output: dict[str, Any] | None, failure: Es2Failure | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"status": "Executed-Success"}
    if failure is not None:
        status = {"status": "Failed", "statusCodeData": failure.status_code_data()}
    return {"header": {"functionExecutionStatus": status}, **(output or {})}


def _execute(function: str, handler: Handler, request: HttpRequest) -> dict[str, Any]:
    operator, body = _parse(request)

    def run() -> dict[str, Any]:
        try:
            with transaction.atomic():
                return _answer(handler(operator, body))
        except Es2Failure as failure:
            return _answer(None, failure)

    return services.call_once(
        requester=operator,
        call_id=body["header"]["functionCallIdentifier"],
        function=function,
        request_hash=_request_hash(body),
        run=run,
    )


@csrf_exempt  # ES2+ authenticates with mutual TLS, not cookies
@require_POST
@faulty("smdp")
def es2plus(request: HttpRequest, function: str) -> JsonResponse:
    handler = FUNCTIONS.get(function)
    if handler is None:
        response = JsonResponse({"error": f"no ES2+ function {function!r}"}, status=404)
    else:
        try:
            answer = _execute(function, handler, request)
        except Es2Failure as failure:
            answer = _answer(None, failure)
        response = JsonResponse(answer)
    response["X-Admin-Protocol"] = PROTOCOL_VERSION
    return response


@csrf_exempt
@require_POST
def device_download(request: HttpRequest) -> JsonResponse:
    """The simulator's stand-in for a phone: what ES9+ download would do."""
    try:
        body = json_loads(request.body)
        profile = services.device_download(
            matching_id=str(body["matchingId"]),
            eid=str(body["eid"]),
            outcome=str(body.get("outcome", "installed")),
        )
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "give matchingId, eid and optionally outcome"}, status=400)
    except services.DeviceInputError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except services.DeviceError as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    return JsonResponse({"iccid": profile.iccid, "state": profile.state})


# The fault switch of the stand-in (ADR 0017): off unless SIMULATOR_FAULTS is on.
fault_admin = fault_admin_view("smdp", authorised=lambda request: True)

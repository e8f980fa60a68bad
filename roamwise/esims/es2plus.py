"""The shop's ES2+ client: the operator side of SGP.22 towards the SM-DP+.

One HTTP client (``roamwise.core.http``) with explicit timeouts and, towards a
real SM-DP+, mutual TLS (SGP.22 §6.1). Every call carries a unique
``functionCallIdentifier`` chosen by the caller, so that the attempt row can
record it before the request leaves. Errors say whether trying again can help
and whether the SM-DP+ may have acted although we have no answer.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings

from roamwise.core.http import TransportError, send
from roamwise.core.parsing import json_loads, storable_text

PROTOCOL_VERSION = "gsma/rsp/v2.2.0"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
REQUEST_SCHEMAS = {
    "downloadOrder": "ES2+DownloadOrder-def.json",
    "confirmOrder": "ES2+ConfirmOrder-def.json",
    "cancelOrder": "ES2+CancelOrder-def.json",
    "releaseProfile": "ES2+ReleaseProfile-def.json",
}
RESPONSE_SCHEMAS = {
    "downloadOrder": "ES2+DownloadOrder-response.json",
    "confirmOrder": "ES2+ConfirmOrder-response.json",
}
SUCCESS = ("Executed-Success", "Executed-WithWarning")
ICCID_FORMAT = re.compile(r"[0-9]{19,20}")
# A host name, optionally with a port: what an activation code can carry (§4.1).
ADDRESS_FORMAT = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")
# Reason codes after which the same call may succeed later (SGP.22 §5.2.6):
# execution error, SM-DS inaccessible, time to live expired.
RETRYABLE_REASONS = {"4.2", "5.1", "4.10"}


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return loaded


def new_call_id() -> str:
    return f"RW-{uuid.uuid4().hex}"


class Es2Error(Exception):
    """An ES2+ call that did not succeed.

    ``retryable``: the same call may succeed later. ``outcome_unknown``: no
    answer arrived, so the SM-DP+ may have acted; reconcile before retrying.
    """

    retryable = False
    outcome_unknown = False

    def __init__(
        self,
        message: str,
        *,
        subject_code: str = "",
        reason_code: str = "",
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.subject_code = subject_code
        self.reason_code = reason_code
        self.retryable = retryable

    @property
    def code(self) -> str:
        return f"{self.subject_code}/{self.reason_code}" if self.subject_code else ""


class Es2FunctionFailed(Es2Error):
    """The SM-DP+ answered: the function failed (status Failed or Expired)."""


class Es2Unreachable(Es2Error):
    """No usable answer: timeout, connection reset, 5xx, garbage. It may have acted."""

    outcome_unknown = True

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class Es2Refused(Es2Error):
    """The SM-DP+ refused the request at the HTTP level (4xx): configuration, not luck."""

    outcome_unknown = True  # a proxy in front may still have passed it on


@dataclass(frozen=True)
class ProfileStatus:
    iccid: str
    state: str
    matching_id: str
    eid: str


class Es2PlusClient:
    def __init__(
        self,
        *,
        base_url: str,
        requester_id: str,
        timeout: float,
        client_cert: tuple[str, str] | None = None,
        ca_bundle: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.requester_id = requester_id
        self.timeout = timeout
        self.client_cert = client_cert
        self.verify: str | bool = ca_bundle or True

    def call(self, function: str, body: dict[str, Any], *, call_id: str) -> dict[str, Any]:
        payload = {
            "header": {
                "functionRequesterIdentifier": self.requester_id,
                "functionCallIdentifier": call_id,
            },
            **body,
        }
        if function in REQUEST_SCHEMAS:  # never send what the spec would refuse
            try:
                jsonschema.validate(payload, schema(REQUEST_SCHEMAS[function]))
            except jsonschema.ValidationError as exc:
                message = f"{function} request would be invalid: {exc.message}"
                raise Es2Error(message[:200]) from None
        try:
            response = send(
                "POST",
                f"{self.base_url}/gsma/rsp2/es2plus/{function}",
                data=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json", "X-Admin-Protocol": PROTOCOL_VERSION},
                timeout=self.timeout,
                cert=self.client_cert,
                verify=self.verify,
            )
        except TransportError as exc:
            if exc.permanent:
                raise Es2Refused(str(exc)) from exc
            raise Es2Unreachable(str(exc)) from exc
        # Any 2.x is fine: the header names the sender's highest version (§6.5.1).
        version = response.headers.get("X-Admin-Protocol", "")
        if not version.startswith("gsma/rsp/v2."):
            raise Es2Unreachable(f"the SM-DP+ answered with protocol {version[:40]!r}")
        try:
            answer = json_loads(response.content)
            status = answer["header"]["functionExecutionStatus"]
            outcome = status["status"]
        except (ValueError, KeyError, TypeError):
            raise Es2Unreachable("the SM-DP+ answered something that is not ES2+") from None
        if outcome in SUCCESS:
            if function in RESPONSE_SCHEMAS:
                try:
                    jsonschema.validate(answer, schema(RESPONSE_SCHEMAS[function]))
                except jsonschema.ValidationError as exc:
                    raise Es2Unreachable(
                        f"malformed {function} answer: {exc.message}"[:200]
                    ) from None
            return dict(answer)
        data = status.get("statusCodeData")
        if not isinstance(data, dict):
            data = {}
        reason = storable_text(data.get("reasonCode"), max_length=8)
        raise Es2FunctionFailed(
            storable_text(data.get("message") or f"{function} {outcome}", max_length=200),
            subject_code=storable_text(data.get("subjectCode"), max_length=11),
            reason_code=reason,
            retryable=outcome == "Expired" or reason in RETRYABLE_REASONS,
        )

    # --- The functions (SGP.22 §5.3) ---

    def download_order(self, *, profile_type: str, call_id: str) -> str:
        answer = self.call("downloadOrder", {"profileType": profile_type}, call_id=call_id)
        iccid = answer["iccid"]  # the response schema requires it
        if not ICCID_FORMAT.fullmatch(iccid):  # JSON Schema's "$" also takes a final newline
            raise Es2Unreachable(f"malformed downloadOrder answer: iccid {iccid[:24]!r}")
        return str(iccid)

    def confirm_order(self, *, iccid: str, matching_id: str, call_id: str) -> tuple[str, str]:
        """Confirm and release at once; returns (matching ID, SM-DP+ address)."""
        answer = self.call(
            "confirmOrder",
            {"iccid": iccid, "matchingId": matching_id, "releaseFlag": True},
            call_id=call_id,
        )
        given_id, address = answer.get("matchingId") or matching_id, answer.get("smdpAddress")
        if not ADDRESS_FORMAT.fullmatch(address or "-") or not given_id.isprintable():
            # It acted, but what it said cannot be used: settled by asking, like a lost answer.
            raise Es2Unreachable("malformed confirmOrder answer")
        return str(given_id), str(address or "")

    def cancel_order(
        self, *, iccid: str, matching_id: str, eid: str, final_status: str, call_id: str
    ) -> None:
        body = {"iccid": iccid, "finalProfileStatusIndicator": final_status}
        if matching_id:
            body["matchingId"] = matching_id
        if eid:
            body["eid"] = eid
        self.call("cancelOrder", body, call_id=call_id)

    def profile_status(
        self, *, call_id: str, iccid: str = "", download_call: str = ""
    ) -> ProfileStatus | None:
        """Where a profile is, by ICCID or by the DownloadOrder call that reserved it."""
        body: dict[str, Any] = (
            {"iccidList": [{"iccid": iccid}]}
            if iccid
            else {"downloadOrderCallIdentifier": download_call}
        )
        answer = self.call("getProfileStatus", body, call_id=call_id)
        statuses = answer.get("profileStatusList")
        if statuses == []:
            return None
        # Anything but a list of statuses is not "nothing found": read as that, a
        # garbled answer would make the shop order a second profile.
        first = statuses[0] if isinstance(statuses, list) else None
        if not isinstance(first, dict):
            raise Es2Unreachable("malformed getProfileStatus answer")
        found = {name: first.get(name, "") for name in ("iccid", "state", "acToken", "eid")}
        if not ICCID_FORMAT.fullmatch(str(found["iccid"])) or not all(
            isinstance(value, str) and len(value) <= 64 and value.isprintable()
            for value in found.values()
        ):
            raise Es2Unreachable("malformed getProfileStatus answer")
        return ProfileStatus(
            iccid=found["iccid"],
            state=found["state"],
            matching_id=found["acToken"],
            eid=found["eid"],
        )


def get_client() -> Es2PlusClient:
    cert = None
    if settings.ES2PLUS_CLIENT_CERT:
        cert = (settings.ES2PLUS_CLIENT_CERT, settings.ES2PLUS_CLIENT_KEY)
    return Es2PlusClient(
        base_url=settings.ES2PLUS_URL,
        requester_id=settings.ES2PLUS_REQUESTER_ID,
        timeout=settings.ES2PLUS_TIMEOUT_SECONDS,
        client_cert=cert,
        ca_bundle=settings.ES2PLUS_CA_BUNDLE,
    )

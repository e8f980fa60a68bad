"""The shop's ES2+ client: the operator side of SGP.22 towards the SM-DP+.

One HTTP client (``roamwise.core.http``) with explicit timeouts and, towards a
real SM-DP+, mutual TLS (SGP.22 §6.1). Every call carries a unique
``functionCallIdentifier`` chosen by the caller, so that the attempt row can
record it before the request leaves. Errors say whether trying again can help
and whether the SM-DP+ may have acted although we have no answer.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings
from django.utils.translation import gettext

from roamwise.core.http import TransportError, send
from roamwise.core.parsing import json_loads, storable_text
from roamwise.devices.validators import iccid_normalise, iccid_padded

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
# SGP.22 §5.2.1: "String representation of 19 or 20 digits, where the 20th digit
# MAY optionally be the padding character F". The shipped schemas (as published)
# forget the pad; it is put back wherever an ICCID is checked.
ICCID_PATTERN = "^[0-9]{19}[0-9F]?$"
# A host name, optionally with a port: what an activation code can carry (§4.1).
ADDRESS_FORMAT = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")
# §4.1.1: upper-case alphanumerics and '-', what a QR code's compact mode holds.
MATCHING_ID_FORMAT = re.compile(r"[-0-9A-Z]{0,255}")
# Reason codes after which the same call may succeed later (SGP.22 §5.2.6):
# execution error, SM-DS inaccessible, time to live expired.
RETRYABLE_REASONS = {"4.2", "5.1", "4.10"}


def _relax(node: Any) -> Any:
    """The shipped schema with SGP.22's own formats where the schema is narrower:
    the ICCID's 'F' pad (§5.2.1), and any W3C date-time (§5.2.1 DATETIME), which
    ``datetime_parse`` checks instead of the schema's one spelling."""
    if isinstance(node, dict):
        relaxed = {key: _relax(value) for key, value in node.items()}
        properties = relaxed.get("properties")
        if isinstance(properties, dict):
            if isinstance(properties.get("iccid"), dict):
                properties["iccid"] = {**properties["iccid"], "pattern": ICCID_PATTERN}
            if isinstance(properties.get("timestamp"), dict):
                properties["timestamp"] = {
                    k: v for k, v in properties["timestamp"].items() if k != "pattern"
                }
        return relaxed
    if isinstance(node, list):
        return [_relax(item) for item in node]
    return copy.copy(node)


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _relax(json.loads((SCHEMAS / name).read_text()))
    return loaded


# SGP.22 §5.2.1 DATETIME is W3C's profile of ISO 8601 ("YYYY-MM-DDThh:mm:ssTZD", TZD
# "Z" or "+hh:mm"); senders also write fractions of a second, lower-case "t"/"z"
# (RFC 3339), "+hhmm" or "+hh" offsets (ISO 8601), and minutes without seconds (W3C).
_DATETIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,12}))?)?"
    r"(?P<zone>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def w3c_datetime(value: object) -> dt.datetime:
    """A DATETIME as SGP.22 senders write it, as an aware datetime; ``ValueError``
    otherwise. One without a zone is read as UTC, as the SM-DP+ keeps time."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not a W3C date and time")
    zone = (match["zone"] or "Z").upper()
    offset = dt.timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        if offset >= dt.timedelta(hours=24):
            raise ValueError("the zone offset is out of range")
        offset = -offset if zone[0] == "-" else offset
    micro = int((match["fraction"] or "0").ljust(6, "0")[:6])
    date = dt.date.fromisoformat(match["date"])  # raises for a month 13 or a 30 February
    return dt.datetime(
        date.year,
        date.month,
        date.day,
        int(match["hour"]),
        int(match["minute"]),
        min(int(match["second"] or 0), 59),  # a leap second is the one before it
        micro,
        tzinfo=dt.timezone(offset),
    )


def iccid_from_answer(value: object, *, function: str) -> str:
    """An ICCID the SM-DP+ sent, in the form we store (digits, no pad)."""
    try:
        return iccid_normalise(value)  # type: ignore[arg-type]
    except ValueError:
        shown = str(value)[:24]
        raise Es2Unreachable(
            gettext("malformed %(function)s answer: iccid %(shown)r")
            % {"function": function, "shown": shown}
        ) from None


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
        token: str = "",
        pad_iccid: bool = False,
        profile_status: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.requester_id = requester_id
        self.timeout = timeout
        self.client_cert = client_cert
        self.verify: str | bool = ca_bundle or True
        # Where no mutual TLS identifies us: the credential the SM-DP+ agreed with us.
        self.token = token
        self.pad_iccid = pad_iccid
        # getProfileStatus is a vendor extension, not SGP.22: only where agreed.
        self.offers_profile_status = profile_status

    def wire_iccid(self, iccid: str) -> str:
        """The ICCID as this SM-DP+ takes it: SGP.22 §5.2.1 says both forms name
        the same profile, but SM-DP+s older than v2.2 know only the padded one."""
        try:
            return iccid_padded(iccid) if self.pad_iccid else iccid_normalise(iccid)
        except ValueError:
            return iccid  # as it is: the request's schema check refuses it before it leaves

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
        headers = {"Content-Type": "application/json", "X-Admin-Protocol": PROTOCOL_VERSION}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = send(
                "POST",
                f"{self.base_url}/gsma/rsp2/es2plus/{function}",
                data=json.dumps(payload).encode(),
                headers=headers,
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
            raise Es2Unreachable(
                gettext("the SM-DP+ answered with protocol %(version_40)r")
                % {"version_40": version[:40]}
            )
        try:
            answer = json_loads(response.content)
            status = answer["header"]["functionExecutionStatus"]
            outcome = status["status"]
        except (ValueError, KeyError, TypeError):
            raise Es2Unreachable(
                gettext("the SM-DP+ answered something that is not ES2+")
            ) from None
        if outcome in SUCCESS:
            if function in RESPONSE_SCHEMAS:
                try:
                    jsonschema.validate(answer, schema(RESPONSE_SCHEMAS[function]))
                except jsonschema.ValidationError as exc:
                    raise Es2Unreachable(
                        (
                            gettext("malformed %(function)s answer: %(message)s")
                            % {"function": function, "message": exc.message}
                        )[:200]
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

    def download_order(self, *, profile_type: str, call_id: str, iccid: str = "") -> str:
        """Reserve a profile: the given ICCID (of the operator's batch), or any of
        the type. Returns its ICCID as we store it (digits, no pad)."""
        body = {"profileType": profile_type}
        if iccid:
            body["iccid"] = self.wire_iccid(iccid)
        answer = self.call("downloadOrder", body, call_id=call_id)
        # The response schema requires it; JSON Schema's "$" also takes a final newline.
        given = iccid_from_answer(answer["iccid"], function="downloadOrder")
        if iccid and given != iccid_normalise(iccid):
            # §5.3.1: "same as input if given"; another one is not ours to use.
            raise Es2Unreachable(
                gettext("downloadOrder answered another ICCID than %(iccid)s") % {"iccid": iccid}
            )
        return given

    def confirm_order(self, *, iccid: str, matching_id: str, call_id: str) -> tuple[str, str]:
        """Confirm and release at once; returns (matching ID, SM-DP+ address).

        The matching ID is the one the SM-DP+ answers (§5.3.2: it stores the one
        it returns), ours when it returns none."""
        answer = self.call(
            "confirmOrder",
            {"iccid": self.wire_iccid(iccid), "matchingId": matching_id, "releaseFlag": True},
            call_id=call_id,
        )
        given_id, address = answer.get("matchingId") or matching_id, answer.get("smdpAddress")
        if (
            not ADDRESS_FORMAT.fullmatch(address or "-")
            or not isinstance(given_id, str)
            or not MATCHING_ID_FORMAT.fullmatch(given_id)
        ):
            # It acted, but what it said cannot be used: settled by asking, like a lost answer.
            raise Es2Unreachable(gettext("malformed confirmOrder answer"))
        return str(given_id), str(address or "")

    def cancel_order(
        self, *, iccid: str, matching_id: str, eid: str, final_status: str, call_id: str
    ) -> None:
        body = {"iccid": self.wire_iccid(iccid), "finalProfileStatusIndicator": final_status}
        if matching_id:
            body["matchingId"] = matching_id
        if eid:
            body["eid"] = eid
        self.call("cancelOrder", body, call_id=call_id)

    def profile_status(
        self, *, call_id: str, iccid: str = "", download_call: str = ""
    ) -> ProfileStatus | None:
        """Where a profile is, by ICCID or by the DownloadOrder call that reserved it.

        The vendor extension: only called where ``ES2PLUS_PROFILE_STATUS`` says the
        SM-DP+ offers it (ADR 0006)."""
        if not self.offers_profile_status:
            raise Es2Error(gettext("this SM-DP+ does not offer getProfileStatus"))
        body: dict[str, Any] = (
            {"iccidList": [{"iccid": self.wire_iccid(iccid)}]}
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
            raise Es2Unreachable(gettext("malformed getProfileStatus answer"))
        found = {name: first.get(name, "") for name in ("iccid", "state", "acToken", "eid")}
        if not all(
            isinstance(value, str) and len(value) <= 64 and value.isprintable()
            for value in found.values()
        ):
            raise Es2Unreachable(gettext("malformed getProfileStatus answer"))
        return ProfileStatus(
            iccid=iccid_from_answer(found["iccid"], function="getProfileStatus"),
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
        token=settings.ES2PLUS_TOKEN,
        pad_iccid=settings.ES2PLUS_ICCID_PADDED,
        profile_status=settings.ES2PLUS_PROFILE_STATUS,
    )

"""The shop's adapter to the network partner: the mobile network that carries
the eSIM's traffic. It suspends, resumes and terminates lines, and adds the data
bundles customers buy as top-ups.

It speaks the partner's JSON API over the one shared HTTP client
(``roamwise.core.http``) with a Bearer key and an explicit timeout. Every call
that acts carries an ``Idempotency-Key`` chosen (and stored) by the shop
before it leaves: the partner answers the same key with the same answer and
does not act twice, so a call whose answer was lost is settled by asking the
line's state (``line_status``) or by repeating it with the same key.
``PartnerError.retryable`` means the outcome is unknown: the partner may have acted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext

from roamwise.core.errors import DomainError
from roamwise.core.http import TransportError, request_json

UNAVAILABLE = "The mobile network did not answer; try again in a few minutes."
REFUSED = "The mobile network refused the request."


class PartnerError(DomainError):
    """A call to the network partner that did not succeed.

    ``retryable``: the same call may succeed later (no answer, a timeout, a
    5xx). Otherwise the partner refused it, and its reason is the message.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(
            message,
            code="network_partner_unavailable" if retryable else "network_partner_refused",
        )
        self.retryable = retryable
        self.status = 503 if retryable else 409


@dataclass(frozen=True)
class LineStatus:
    """What the partner says of a line: its state and the bundles on it."""

    state: str
    bundle_references: frozenset[str]


class NetworkPartner(Protocol):
    name: str

    def line_suspend(self, *, iccid: str, idempotency_key: str | None = None) -> None: ...

    def line_resume(self, *, iccid: str, idempotency_key: str | None = None) -> None: ...

    def line_terminate(self, *, iccid: str, idempotency_key: str | None = None) -> None: ...

    def bundle_add(
        self,
        *,
        iccid: str,
        reference: str,
        data_mb: int | None,
        validity_days: int,
        coverage: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> None: ...

    def line_status(self, *, iccid: str) -> LineStatus: ...


def _refusal(exc: TransportError) -> str:
    """The partner's own reason from a 4xx answer, where it gave one.

    ``TransportError`` keeps the start of the answer's body after "): " in its
    message; the partner answers ``{"error": "<reason>"}``.
    """
    _, _, body = str(exc).partition("): ")
    try:
        reason = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return REFUSED
    return reason if isinstance(reason, str) and reason else REFUSED


class SimulatedPartner:
    """The network partner simulator (``roamwise.network``), over HTTP."""

    name = "simulated"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.base_url = (base_url or settings.NETWORK_PARTNER_URL).rstrip("/")
        self.api_key = api_key or settings.NETWORK_PARTNER_API_KEY
        self.timeout = timeout or float(settings.HTTP_TIMEOUT_SECONDS)

    def _call(
        self,
        iccid: str,
        action: str,
        payload: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Any:
        # The partner judges ICCIDs (length, check digit); only what could
        # change the URL's meaning is stopped here.
        if not (iccid.isascii() and iccid.isalnum()):
            raise PartnerError(
                gettext("An ICCID has only digits and an optional 'F'."), retryable=False
            )
        url = f"{self.base_url}/api/v1/subscriptions/{quote(iccid, safe='')}"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            answer = request_json(
                "POST" if action else "GET",
                f"{url}/{action}" if action else url,
                json=payload,
                headers=headers,
                timeout=self.timeout,
            )
        except TransportError as exc:
            if exc.permanent:
                raise PartnerError(_refusal(exc), retryable=False) from exc
            raise PartnerError(UNAVAILABLE, retryable=True) from exc
        if not isinstance(answer, dict):
            # A 2xx without the expected body: something between us answered.
            raise PartnerError(UNAVAILABLE, retryable=True)
        return answer

    def _change_line(
        self, iccid: str, action: str, state: str, idempotency_key: str | None
    ) -> None:
        answer = self._call(iccid, action, idempotency_key=idempotency_key)
        if answer.get("state") != state:
            raise PartnerError(UNAVAILABLE, retryable=True)

    def line_suspend(self, *, iccid: str, idempotency_key: str | None = None) -> None:
        self._change_line(iccid, "suspend", "suspended", idempotency_key)

    def line_resume(self, *, iccid: str, idempotency_key: str | None = None) -> None:
        self._change_line(iccid, "resume", "active", idempotency_key)

    def line_terminate(self, *, iccid: str, idempotency_key: str | None = None) -> None:
        self._change_line(iccid, "terminate", "terminated", idempotency_key)

    def line_status(self, *, iccid: str) -> LineStatus:
        answer = self._call(iccid, "")
        state, bundles = answer.get("state"), answer.get("bundles")
        if not isinstance(state, str) or not isinstance(bundles, list):
            raise PartnerError(UNAVAILABLE, retryable=True)
        references = frozenset(
            b["reference"]
            for b in bundles
            if isinstance(b, dict) and isinstance(b.get("reference"), str)
        )
        return LineStatus(state=state, bundle_references=references)

    def bundle_add(
        self,
        *,
        iccid: str,
        reference: str,
        data_mb: int | None,
        validity_days: int,
        coverage: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> None:
        payload = {
            "reference": reference,
            "data_mb": data_mb,
            "validity_days": validity_days,
            "coverage": list(coverage),
        }
        answer = self._call(iccid, "bundles", payload, idempotency_key=idempotency_key)
        if answer.get("reference") != reference:
            raise PartnerError(UNAVAILABLE, retryable=True)


def get_partner() -> NetworkPartner:
    """The network partner the shop talks to.

    Only the simulator exists so far. A real partner gets its own class with
    the same five methods, and a setting to choose it here.
    """
    return SimulatedPartner()

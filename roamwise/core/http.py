"""The one outbound HTTP client: explicit timeouts, typed errors.

Every adapter to an outside system (payment processor, SM-DP+, network
partner) goes through here. ``TransportError.permanent`` says whether trying
again can help.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext

_session = requests.Session()
_session.headers["User-Agent"] = "Roamwise/1"


class TransportError(Exception):
    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float = 0,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        # Seconds the server asked us to wait (Retry-After on 429 and 503), 0 if unsaid.
        self.retry_after = retry_after


def request_json(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Any:
    """Send a request and return its JSON body (None for an empty 2xx)."""
    response = send(method, url, json=json, data=data, headers=headers, timeout=timeout)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise TransportError(
            gettext("%(url)s answered with something that is not JSON") % {"url": url},
            permanent=False,
        ) from exc


def send(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    cert: tuple[str, str] | None = None,
    verify: str | bool = True,
) -> requests.Response:
    """``cert`` is a client certificate and key for mutual TLS; ``verify`` a CA bundle."""
    try:
        response = _session.request(
            method,
            url,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout or settings.HTTP_TIMEOUT_SECONDS,
            cert=cert,
            verify=verify,
        )
    except requests.Timeout as exc:
        raise TransportError(gettext("%(url)s timed out") % {"url": url}, permanent=False) from exc
    except requests.RequestException as exc:
        raise TransportError(
            gettext("%(url)s could not be reached: %(exc)s") % {"url": url, "exc": exc},
            permanent=False,
        ) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise TransportError(
            gettext("%(url)s answered %(status_code)s")
            % {"url": url, "status_code": response.status_code},
            permanent=False,
            status=response.status_code,
            retry_after=_retry_after(response),
        )
    if response.status_code >= 400:
        raise TransportError(
            gettext("%(url)s refused the request (%(status_code)s): %(text_200)s")
            % {"url": url, "status_code": response.status_code, "text_200": response.text[:200]},
            permanent=True,
            status=response.status_code,
        )
    return response


def _retry_after(response: requests.Response) -> float:
    # RFC 9110 10.2.3: delay-seconds; the HTTP-date form is read as unsaid.
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 0

"""Error reports to Sentry, with personal data removed before they leave.

Off unless ``SENTRY_DSN`` is set (settings.py calls ``sentry_init``). Sentry
then gets an unhandled error's type, message and stack (without local
variables), the route and the instance, and nothing that identifies a
person: the SDK is told to send no personal data (``send_default_pii`` off,
no request bodies, no local variables), and ``scrub_event`` rewrites every
event and breadcrumb anyway, since an exception's message or a log line can
quote what a customer typed:

- the request keeps its method, its URL with token links and query values
  redacted (``core.logredact``) and a few harmless headers; its body,
  cookies, environment (the client's address) and every other header
  (``Authorization``, ``Cookie``, forwarded addresses...) are dropped;
- the user is dropped (id, email, address, name);
- in the message, the exception's text, the extra data, tags, contexts and
  breadcrumbs, any key named like a personal field of the data map
  (``phone``, ``date_of_birth``, ``billing_name``...) or like a secret
  (``password``, ``token``, ``authorization``...) has its value replaced, at
  any depth, and every text has email addresses, IP addresses, card-like and
  phone numbers, bearer tokens and token links replaced;
- stack frames lose any local variables.

Sentry is then not a recipient of personal data: ``governance.outbound``
lists this module as sending only scrubbed reports, and the tests read what
the SDK would put on the wire.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from roamwise.core.logredact import redact_url

FILTERED = "[Filtered]"

# Request headers that say nothing about who sent the request.
KEPT_HEADERS = frozenset(
    {"accept", "accept-language", "content-length", "content-type", "host", "x-request-id"}
)
# Keys whose values are secrets or identify a person, whatever the data map says.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "cookies",
        "set-cookie",
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "session",
        "sessionid",
        "csrftoken",
        "csrfmiddlewaretoken",
        "email",
        "ip_address",
        "remote_addr",
        "x-forwarded-for",
        "x-real-ip",
        "card_number",
        "username",
        "first_name",
        "last_name",
        "phone",
    }
)

# Contexts the SDK fills itself: the trace's ids, the Python runtime, the OS.
SDK_CONTEXTS = frozenset({"trace", "runtime", "os"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# Card numbers, ICCIDs and phone numbers: runs of 9 digits or more, spaces,
# dashes and a leading + allowed between them.
_DIGITS = re.compile(r"\+?\d(?:[ \-]?\d){8,}")


def _ip(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return FILTERED


def scrub_text(text: str) -> str:
    """``text`` without email or IP addresses, long numbers, tokens or token links."""
    text = _EMAIL.sub(FILTERED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = _IPV4.sub(_ip, text)
    text = _IPV6.sub(_ip, text)
    text = _DIGITS.sub(FILTERED, text)
    if "/" in text:
        # Token links (a download, a password reset...) in a message.
        from roamwise.core.logredact import redact_text

        text = redact_text(text)
    return text


@cache
def personal_keys() -> frozenset[str]:
    """The names of every personal field in the data map, and the secrets'."""
    from roamwise.datamap.registry import data_map

    names = {field.name.lower() for declaration in data_map for field in declaration.fields}
    return frozenset(names | SECRET_KEYS)


def _scrub(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and key.lower() in keys and value[key] not in (None, "")
            else _scrub(item, keys)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, keys) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _request(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if "method" in request:
        kept["method"] = request["method"]
    if isinstance(request.get("url"), str):
        kept["url"] = scrub_text(redact_url(request["url"]))
    headers = request.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {
            name: scrub_text(str(value))
            for name, value in headers.items()
            if name.lower() in KEPT_HEADERS
        }
    # Gone: data (the body), cookies, env (REMOTE_ADDR...), query_string (the
    # URL above carries it redacted).
    return kept


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event without personal data or secrets.

    The parts that can carry what someone typed or who they are are rewritten;
    Sentry's own fields (ids, timestamps, the SDK, the stack's code) are left
    as they are, so that the event still reads.
    """
    keys = personal_keys()
    event.pop("user", None)
    if isinstance(event.get("request"), dict):
        event["request"] = _request(event["request"])
    for name in ("message", "logentry", "extra", "tags"):
        if name in event:
            event[name] = _scrub(event[name], keys)
    contexts = event.get("contexts")
    if isinstance(contexts, dict):
        # The SDK's own contexts hold ids and versions; the rest may hold anything.
        event["contexts"] = {
            name: value if name in SDK_CONTEXTS else _scrub(value, keys)
            for name, value in contexts.items()
        }
    for section in ("exception", "threads"):
        for item in (event.get(section) or {}).get("values") or []:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("value"), str):
                item["value"] = scrub_text(item["value"])
            for frame in (item.get("stacktrace") or {}).get("frames") or []:
                if isinstance(frame, dict):
                    frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        breadcrumbs["values"] = [scrub_breadcrumb(crumb) for crumb in breadcrumbs["values"]]
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_breadcrumb``: log lines and queries, scrubbed alike."""
    keys = personal_keys()
    for name in ("message", "data"):
        if name in crumb:
            crumb[name] = _scrub(crumb[name], keys)
    return crumb


def sentry_init(*, dsn: str, environment: str, transport: Callable[..., Any] | None = None) -> None:
    """Start the SDK with the scrubber; ``transport`` only for tests."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # No performance traces or profiles: errors only.
        traces_sample_rate=None,
        # The SDK types events as its own TypedDicts: plain dicts at run time.
        before_send=cast("Any", scrub_event),
        before_breadcrumb=cast("Any", scrub_breadcrumb),
        **options,
    )

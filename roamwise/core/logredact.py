"""One-time secrets out of the logs (SEC-01, SEC-07).

Links that carry a secret (a data export's download, a password reset, an
email confirmation, an unsubscribe, a parent's decision, a support ticket's
access) are capabilities: whoever reads a log line holding one can use it.
Every line the web server and Django log goes through ``redact_text``:

- a path the URLconf resolves has the values of its secret URL arguments
  (``SECRET_ARGUMENTS``) replaced, so the route stays readable;
- any other path segment that looks like a token (long, letters and digits,
  not a UUID public id) is replaced too, for paths that do not resolve
  (a missing slash, a mistyped token);
- query-string values are replaced except for the few harmless parameters in
  ``PLAIN_PARAMETERS``.

``RedactSecrets`` is the logging filter (Django's handlers, settings.LOGGING);
``GunicornLogger`` is gunicorn's logger class (``serve`` sets it), which puts
the same filter on the access and error logs.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, unquote

from django.apps import apps
from django.urls import Resolver404, resolve
from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# URL arguments that carry a secret: the project's token links and allauth's
# email confirmation and password reset keys.
SECRET_ARGUMENTS = frozenset({"token", "key", "uidb36"})
# Query parameters whose values are never secret.
PLAIN_PARAMETERS = frozenset({"page", "per_page", "sort", "order", "q", "country", "lang"})

_URL = re.compile(r"(?:https?://[^\s\"'<>/]+)?/[^\s\"'<>]*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-:.=%~]{20,}")


def _looks_like_token(segment: str) -> bool:
    return (
        _TOKEN_LIKE.fullmatch(segment) is not None
        and _UUID.fullmatch(segment) is None
        and any(c.isdigit() for c in segment)
        and any(c.isalpha() for c in segment)
    )


def _secret_values(path: str) -> list[str]:
    """The secret URL arguments of the route ``path`` resolves to, if any."""
    if not apps.ready:
        return []
    decoded = unquote(path)
    for candidate in (decoded, decoded + "/"):
        try:
            match = resolve(candidate)
        except (Resolver404, ValueError, UnicodeError):
            continue
        return [str(v) for k, v in match.kwargs.items() if k in SECRET_ARGUMENTS and v]
    return []


def redact_path(path: str) -> str:
    """``path`` (no query string) with every segment that holds a secret replaced."""
    secrets = {form for v in _secret_values(path) for form in (v, quote(v, safe=""))}

    def secret(segment: str) -> bool:
        return _looks_like_token(segment) or any(
            value == segment or (len(value) > 1 and value in segment) for value in secrets
        )

    return "/".join(REDACTED if secret(s) else s for s in path.split("/"))


def redact_query(query: str) -> str:
    parts = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value and name.lower() not in PLAIN_PARAMETERS:
            value = REDACTED
        parts.append(f"{name}{sep}{value}")
    return "&".join(parts)


def redact_url(url: str) -> str:
    """A path or absolute URL, with an optional query string, redacted."""
    head, sep, query = url.partition("?")
    scheme, found, rest = head.partition("://")
    if found:
        host, slash, path = rest.partition("/")
        head = f"{scheme}://{host}{slash}" + redact_path("/" + path)[1:] if slash else head
    else:
        head = redact_path(head)
    return head + (sep + redact_query(query) if sep else "")


def redact_text(text: str) -> str:
    """Every URL in a line of log text, redacted."""
    if "/" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and its traceback text) without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class GunicornLogger(Logger):
    """gunicorn's logger, with every access and error line redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(f, RedactSecrets) for f in log.filters):
                log.addFilter(RedactSecrets())

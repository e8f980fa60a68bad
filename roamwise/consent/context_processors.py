from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .middleware import request_consent


def consent(request: HttpRequest) -> dict[str, Any]:
    return {"consent": request_consent(request)}

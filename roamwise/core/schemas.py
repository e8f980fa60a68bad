from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every API error: a stable machine-readable code and a readable message."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = None

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import StrictBool

# What the spec calls a boolean: JSON true or false. Pydantic's default would
# also take 0, 1, "0", "yes", "off" (and so read 0 as a "no" the client never
# wrote); every boolean an API input holds is this type.
Boolean = StrictBool


class ErrorOut(Schema):
    """Every API error: a stable machine-readable code and a readable message."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = None

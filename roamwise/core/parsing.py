"""Reading what other systems send: JSON bodies, their identifiers and text.

Every parser of outside input (payment webhooks, ES2+ notifications and
answers, inbound mail) goes through these, so that no input can reach the
database in a form it refuses (NUL, lone surrogates, longer than the column)
or crash the parser (JSON nested deeper than Python recurses). Each raises
``ValueError`` with a short reason, which the caller turns into its typed
4xx error. Found by fuzzing (ADR 0017).
"""

from __future__ import annotations

import json
import math
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

# Big enough for any real message; a 100,000-deep list is an attack, not data.
MAX_DIGITS_OF_INTEGER = 40


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS_OF_INTEGER:
        raise ValueError("a number with this many digits is not a quantity")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number beyond any float is not a quantity")
    return value


def json_loads(raw: bytes | str) -> Any:
    """Parse a JSON document; ``ValueError`` for anything else, including NaN,
    Infinity, numbers of absurd size and nesting deeper than Python recurses."""
    try:
        return json.loads(
            raw, parse_constant=_refuse_constant, parse_int=_integer, parse_float=_float
        )
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def identifier(value: object, *, max_length: int, name: str = "identifier") -> str:
    """A sender's reference (event id, call id, session id): printable text that
    fits its column. Numbers are accepted as their decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise ValueError(f"{name} must be text of 1 to {max_length} characters")
    if not value.isprintable():
        raise ValueError(f"{name} must be printable text")
    return value


def optional_identifier(value: object, *, max_length: int, name: str = "identifier") -> str:
    if value is None or value == "":
        return ""
    return identifier(value, max_length=max_length, name=name)


def storable_text(value: object, *, max_length: int) -> str:
    """Free text from outside (a message, a brand, a code) as a column holds it:
    never an error; NUL and unencodable characters replaced, cut to length."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return text[:max_length]


def optional_uuid(value: object) -> uuid.UUID | None:
    """One of our own public ids echoed back, or None for anything else."""
    if not isinstance(value, str) or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def money_amount(value: object, *, name: str = "amount") -> Decimal:
    """A money amount written as text or a number: finite, at most two decimals,
    below 100 million (every amount column here holds that)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{name} must be a number") from None
    if not amount.is_finite() or abs(amount) >= 10**8:
        raise ValueError(f"{name} is out of range")
    if amount != amount.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        raise ValueError(f"{name} has more than two decimals")
    return amount.quantize(Decimal("0.01"))

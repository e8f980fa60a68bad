"""Strategies for fuzzing the parsers of outside input (ADR 0017).

What a sender can put in a body: any bytes, JSON nested deeper than Python
recurses, duplicated keys, numbers beyond any column, NaN, text with NUL or
lone surrogates (which PostgreSQL refuses), and everything between. Tests
sign what they generate with the real secret, so the parser behind the
signature check is what gets fuzzed.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Text a sender may write: every code point, lone surrogates and NUL included.
ODD_CHARACTERS = st.characters(codec=None, exclude_categories=())
NASTY_TEXT = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "\ud800",
        "\udfff tail",
        "\u202eevil",
        "Ünïcödé ✓ 日本語 \U0001d518\U0001d52b",
        "\r\n",
        " ",
        "null",
        "1e999",
        "-0",
        "9" * 400,
        "x" * 5000,
        "<script>alert(1)</script>",
        "'; DROP TABLE x; --",
    ]
)
odd_text = st.text(ODD_CHARACTERS, max_size=40) | NASTY_TEXT
HUGE_NUMBERS = st.sampled_from(
    [0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 10**400, 1e308, -1e-308, 0.5, 1.0]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_NUMBERS
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=5),
    max_leaves=16,
)


def _encode(value: Any) -> str:
    # ensure_ascii keeps lone surrogates as \\udXXX escapes: valid JSON text
    # that decodes to a str PostgreSQL cannot store.
    return json.dumps(value, ensure_ascii=True)


@st.composite
def with_duplicate_keys(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> bytes:
    """A JSON object whose text repeats some of its keys with other values."""
    value = draw(base)
    items = list(value.items())
    for key in draw(st.lists(st.sampled_from(list(value) or ["id"]), max_size=3)):
        items.insert(draw(st.integers(0, len(items))), (key, draw(json_values)))
    text = "{" + ",".join(f"{_encode(k)}:{_encode(v)}" for k, v in items) + "}"
    return text.encode()


RAW_ODDITIES = st.sampled_from(
    [
        b"",
        b"{",
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"NaN",
        b'{"id": NaN, "type": Infinity}',
        b"\xff\xfe\x00{",
        b'{"id": "\\u0000"}',
        b'{"id": "\\ud800"}',
        b"1" * 5000,
        b"null",
        b"[]",
        b'"text"',
    ]
)


def json_bodies(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """Bodies around a well-formed shape: the shape itself, with duplicated keys,
    any JSON at all, raw bytes and the classic oddities."""
    return st.one_of(
        base.map(lambda value: _encode(value).encode()),
        with_duplicate_keys(base),
        json_values.map(lambda value: _encode(value).encode()),
        st.binary(max_size=200),
        RAW_ODDITIES,
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The expected value most of the time, anything at all otherwise."""
    return st.one_of(strategy, strategy, json_values)

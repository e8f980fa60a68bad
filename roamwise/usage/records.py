"""Reading usage records from outside: one record's checks, and the two file
formats. Pure functions, no database: what the network sends is parsed here
and nowhere else.

A record is a mapping with:

``record_id``  the partner's own reference, 1 to 64 printable characters
``iccid``      19 digits (a trailing padding 'F' is accepted)
``session_start``, ``session_end``  ISO 8601 with a time zone
``bytes_up``, ``bytes_down``  whole numbers from 0
``visited_network``  MCC-MNC, 5 or 6 digits (``mcc_mnc`` is accepted too)

``cell_id`` and ``location_area`` may be present; they are dropped here, on
arrival, because no declared purpose needs them. Any other field is ignored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, TextIO

from django.utils.translation import gettext

from roamwise.devices.validators import luhn_check_digit

# A record claiming more than this for one session is a fault, not usage.
MAX_SESSION_BYTES = 10**12  # 1 TB
MAX_SESSION_LENGTH = timedelta(days=31)
# Clocks differ: a session may end a little in the future of ours.
CLOCK_SKEW = timedelta(hours=1)
DROPPED_FIELDS = ("cell_id", "location_area")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    record_id: str
    iccid: str
    session_start: datetime
    session_end: datetime
    bytes_up: int
    bytes_down: int
    visited_network: str

    @property
    def bytes_total(self) -> int:
        return self.bytes_up + self.bytes_down


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    record_id: str | None
    reason: str


_iccid_cache: dict[str, str | None] = {}


def normalise_iccid(raw: str) -> str | None:
    """The 19-digit ICCID, or None when ``raw`` is not one."""
    if raw in _iccid_cache:
        return _iccid_cache[raw]
    digits = raw[:-1] if len(raw) == 20 and raw[-1] in "Ff" else raw
    valid = (
        len(digits) == 19
        and digits.isascii()
        and digits.isdigit()
        and digits[-1] == luhn_check_digit(digits[:-1])
    )
    iccid = digits if valid else None
    if len(_iccid_cache) > 100_000:
        _iccid_cache.clear()
    _iccid_cache[raw] = iccid
    return iccid


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 date and time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (for example 'Z' or '+01:00')")
    return moment


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number of bytes")
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"{name} must be a whole number of bytes")
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number of bytes")
    if not 0 <= value <= MAX_SESSION_BYTES:
        raise ValueError(f"{name} must be between 0 and {MAX_SESSION_BYTES}")
    return value


def parse(line: int, raw: Any, *, now: datetime, oldest: datetime) -> Row | Rejected:
    """Check one record; the row to store, or why it is refused.

    ``oldest`` is the retention cut-off: a record older than what would be
    kept is refused rather than stored and deleted at once.
    """
    if isinstance(raw, Rejected):
        return raw
    if not isinstance(raw, Mapping):
        return Rejected(line, None, "a record must be an object")
    record_id = raw.get("record_id")
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= 64:
        return Rejected(line, None, "record_id must be a string of 1 to 64 characters")
    if not record_id.isprintable():
        return Rejected(line, None, "record_id must be printable characters")
    try:
        iccid_raw = raw.get("iccid")
        if not isinstance(iccid_raw, str):
            raise ValueError("iccid must be a string of 19 digits")
        iccid = normalise_iccid(iccid_raw)
        if iccid is None:
            raise ValueError("iccid is not a valid 19-digit ICCID (check digit included)")
        start = _time(raw.get("session_start"), "session_start")
        end = _time(raw.get("session_end"), "session_end")
        if end < start:
            raise ValueError("session_end is before session_start")
        if end - start > MAX_SESSION_LENGTH:
            raise ValueError("a session cannot last more than 31 days")
        if end > now + CLOCK_SKEW:
            raise ValueError("session_end is in the future")
        if start < oldest:
            raise ValueError("the session is older than the 12 months usage records are kept")
        bytes_up = _count(raw.get("bytes_up"), "bytes_up")
        bytes_down = _count(raw.get("bytes_down"), "bytes_down")
        network = raw.get("visited_network", raw.get("mcc_mnc"))
        if not (
            isinstance(network, str)
            and len(network) in (5, 6)
            and network.isascii()
            and network.isdigit()
        ):
            raise ValueError("visited_network must be the MCC-MNC, 5 or 6 digits")
    except ValueError as exc:
        return Rejected(line, record_id, str(exc))
    return Row(line, record_id, iccid, start, end, bytes_up, bytes_down, network)


# --- Files ----------------------------------------------------------------------

REQUIRED_COLUMNS = ("record_id", "iccid", "session_start", "session_end", "bytes_up", "bytes_down")


class FileFormatError(ValueError):
    pass


def file_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise FileFormatError(gettext("The file must end in .csv or .jsonl."))


def read_records(stream: IO[str], fmt: str) -> Iterator[tuple[int, Any]]:
    """``(line number, raw record)`` for each data line, streamed.

    CSV needs a header naming at least the required columns. A line that cannot
    be read at all comes as a ``Rejected``, which ``parse`` passes through.
    """
    if fmt == "csv":
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileFormatError(
                gettext("The CSV header cannot be read: %(exc)s.") % {"exc": exc}
            ) from None
        header = [name.strip().lower() for name in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if "visited_network" not in header and "mcc_mnc" not in header:
            missing.append("visited_network")
        if missing:
            raise FileFormatError(
                gettext("The CSV header lacks: %(join)s.") % {"join": ", ".join(missing)}
            )
        width = len(header)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a stray carriage return, a NUL byte...
                yield reader.line_num, Rejected(reader.line_num, None, f"unreadable line: {exc}")
                continue
            if not row:
                continue
            if len(row) != width:
                yield (
                    reader.line_num,
                    Rejected(reader.line_num, None, f"expected {width} columns, found {len(row)}"),
                )
                continue
            yield reader.line_num, dict(zip(header, row, strict=True))
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except (ValueError, RecursionError):
            yield number, Rejected(number, None, "the line is not JSON")


def open_text(path: str) -> TextIO:
    return open(path, encoding="utf-8", errors="replace", newline="")

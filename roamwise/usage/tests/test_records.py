"""The record parser takes anything a file or a request can hold and answers
with a row or a reason, never an exception."""

from __future__ import annotations

import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st

from roamwise.testing.lines import iccid
from roamwise.usage import records

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
OLDEST = NOW - dt.timedelta(days=365)


@given(st.text(max_size=400))
def test_any_csv_text_is_read_without_an_exception(text: str) -> None:
    stream = io.StringIO(
        "record_id,iccid,session_start,session_end,bytes_up,bytes_down,visited_network\n" + text
    )
    try:
        read = list(records.read_records(stream, "csv"))
    except records.FileFormatError:  # only the header can stop a file
        return
    for line, raw in read:
        result = records.parse(line, raw, now=NOW, oldest=OLDEST)
        assert isinstance(result, records.Row | records.Rejected)


@given(st.text(max_size=400))
def test_any_jsonl_text_is_read_without_an_exception(text: str) -> None:
    for line, raw in records.read_records(io.StringIO(text), "jsonl"):
        result = records.parse(line, raw, now=NOW, oldest=OLDEST)
        assert isinstance(result, records.Row | records.Rejected)
        if isinstance(result, records.Rejected):
            assert result.reason


def test_a_good_record_keeps_only_what_is_declared() -> None:
    raw = {
        "record_id": "r-1",
        "iccid": iccid(1) + "F",
        "session_start": "2026-11-21T10:00:00Z",
        "session_end": "2026-11-21T10:30:00+00:00",
        "bytes_up": "10",
        "bytes_down": 20,
        "mcc_mnc": "20801",
        "cell_id": "C-1",
        "location_area": "LA-1",
    }
    result = records.parse(3, raw, now=NOW, oldest=OLDEST)
    assert isinstance(result, records.Row)
    assert result.iccid == iccid(1)
    assert result.bytes_total == 30
    assert not hasattr(result, "cell_id")

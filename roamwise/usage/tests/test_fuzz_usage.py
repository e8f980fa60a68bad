"""Usage records under fuzzing, completing test_api.py and test_records.py
(ADR 0017, SIM-05): bodies that are not even JSON, files of any bytes, and odd
but valid records (unicode ids, padded ICCIDs, every time zone, the largest
counts, numbers as text, repeated keys, unknown fields), which are accepted."""

from __future__ import annotations

import datetime as dt
import io
import json
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from roamwise.core.tests.fuzzing import RAW_ODDITIES, json_bodies, maybe, odd_text
from roamwise.esims.models import Esim
from roamwise.testing.lines import iccid
from roamwise.usage.models import Partner
from roamwise.usage.records import MAX_SESSION_BYTES

URL = "/api/v1/usage/records"
LINE = iccid(1)
serial = count()


def post_raw(client: Client, key: str, body: bytes) -> Any:
    cache.clear()  # the partner's request rate is not what is under test
    return client.post(
        URL, body, content_type="application/json", headers={"authorization": f"Bearer {key}"}
    )


record_shape = st.fixed_dictionaries(
    {
        "record_id": maybe(st.text(min_size=1, max_size=64) | odd_text),
        "iccid": maybe(st.sampled_from([LINE, LINE + "F", LINE + "f"]) | odd_text),
        "session_start": maybe(st.just(timezone.now().isoformat()) | odd_text),
        "session_end": maybe(st.just(timezone.now().isoformat()) | odd_text),
        "bytes_up": maybe(st.integers(0, MAX_SESSION_BYTES) | st.integers()),
        "bytes_down": maybe(st.integers(0, MAX_SESSION_BYTES).map(str) | st.integers()),
        "visited_network": maybe(st.from_regex(r"\A[0-9]{5,6}\Z") | odd_text),
    }
)
batch_shape = st.fixed_dictionaries({"records": st.lists(maybe(record_shape), max_size=5)})


@pytest.mark.commitment("SIM-05")
@given(body=json_bodies(batch_shape) | RAW_ODDITIES)
@example(body=b'{"records": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
@example(body=b'{"records": [{"record_id": "\\u0000"}]}')
@example(body=b'{"records": [{"record_id": "r", "bytes_up": 1e999}]}')
@example(body=b'{"records": [], "records": [{"iccid": "\\ud800"}]}')
def test_no_api_body_gives_a_5xx(
    client: Client, partner: tuple[Partner, str], line_esim: Esim, body: bytes
) -> None:
    response = post_raw(client, partner[1], body)

    assert response.status_code in (200, 400, 422), (response.status_code, response.content)
    answer = response.json()
    assert "accepted" in answer or answer["message"]


printable_ids = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), min_size=1, max_size=40
).filter(str.isprintable)


@st.composite
def odd_but_valid_record(draw: st.DrawFn) -> dict[str, Any]:
    now = timezone.now()
    offset = dt.timezone(dt.timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60))))
    ago = dt.timedelta(seconds=draw(st.integers(0, 300 * 86_400)))
    length = dt.timedelta(seconds=draw(st.integers(0, 31 * 86_400)))
    end = now - ago
    start = end - min(length, dt.timedelta(days=31))
    up = draw(st.integers(0, MAX_SESSION_BYTES))
    network = draw(st.from_regex(r"\A[0-9]{5,6}\Z"))
    value: dict[str, Any] = {
        # Unique per example: a repeated id would rightly count as a duplicate.
        "record_id": f"{draw(printable_ids)}#{next(serial)}"[-64:],
        "iccid": LINE + draw(st.sampled_from(["", "F", "f"])),
        "session_start": start.astimezone(offset).isoformat(),
        "session_end": end.astimezone(offset).isoformat(),
        "bytes_up": draw(st.sampled_from([up, str(up)])),
        "bytes_down": draw(st.integers(0, MAX_SESSION_BYTES)),
        draw(st.sampled_from(["visited_network", "mcc_mnc"])): network,
    }
    value.update(draw(st.dictionaries(st.sampled_from(["cell_id", "location_area", "x"]),
                                      odd_text, max_size=2)))  # fmt: skip
    return value


@pytest.mark.commitment("SIM-05")
@given(value=odd_but_valid_record(), repeat_key=st.booleans())
def test_odd_but_valid_records_are_accepted(
    client: Client, partner: tuple[Partner, str], line_esim: Esim, value: dict, repeat_key: bool
) -> None:
    body = json.dumps({"records": [value]})
    if repeat_key:  # the same key twice in the record: the last one counts
        body = body[:-3] + f', "bytes_down": {value["bytes_down"]}}}]}}'

    response = post_raw(client, partner[1], body.encode())

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["rejections"] == [] and answer["accepted"] == 1, answer


@pytest.mark.commitment("SIM-05")
@given(
    content=st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.sampled_from([b"record_id,iccid\x00\r\n", b"\xef\xbb\xbfrecord_id\n", b"{" * 5000]),
    suffix=st.sampled_from([".csv", ".jsonl"]),
)
def test_any_file_is_ingested_or_refused_with_a_message(
    tmp_path: Path, partner: tuple[Partner, str], content: bytes, suffix: str
) -> None:
    header = b"record_id,iccid,session_start,session_end,bytes_up,bytes_down,visited_network\n"
    path = tmp_path / f"usage-{next(serial)}{suffix}"
    path.write_bytes((header if suffix == ".csv" and content[:1] != b"r" else b"") + content)
    try:
        call_command(
            "usage_ingest",
            str(path),
            "--partner",
            "orange-roaming",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    except CommandError as exc:
        assert str(exc)

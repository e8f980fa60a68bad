"""``manage.py usage_ingest``: CSV and JSONL, rejects by line, re-runs, and a
process killed mid-file that a re-run finishes without duplicates."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from roamwise.esims.models import Bundle, Esim
from roamwise.testing.lines import iccid, record
from roamwise.usage.models import IngestBatch, Partner, UsageRecord, UsageRecordKey

COLUMNS = [
    "record_id",
    "iccid",
    "session_start",
    "session_end",
    "bytes_up",
    "bytes_down",
    "visited_network",
    "cell_id",
]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def ingest(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "usage_ingest",
        str(path),
        "--partner",
        "orange-roaming",
        "--no-progress",
        *args,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.commitment("SIM-05")
def test_a_csv_file_is_ingested_and_bad_lines_are_named(
    tmp_path: Path, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    line = iccid(1)
    rows = [record(f"r{n}", line, hours_ago=n, cell_id="CELL-1") for n in range(1, 6)]
    rows[2]["bytes_down"] = "lots"
    rows[3]["iccid"] = iccid(77)
    out, err = ingest(write_csv(tmp_path / "usage.csv", rows))
    assert "3 accepted, 0 duplicates, 2 rejected" in out
    # Line 1 is the header: the third record is on line 4.
    assert "line 4: bytes_down must be a whole number of bytes" in err
    assert "line 5: unknown ICCID" in err
    assert UsageRecord.objects.count() == 3
    assert Bundle.objects.get(esim=line_esim).used_bytes == 3 * 10_000


@pytest.mark.django_db
def test_a_jsonl_file_with_a_broken_line(
    tmp_path: Path, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    path = tmp_path / "usage.jsonl"
    lines = [json.dumps(record(f"j{n}", iccid(1), hours_ago=n)) for n in range(1, 4)]
    lines.insert(1, '{"record_id": "broken"')
    path.write_text("\n".join(lines) + "\n")
    out, err = ingest(path)
    assert "3 accepted, 0 duplicates, 1 rejected" in out
    assert "line 2: the line is not JSON" in err


@pytest.mark.django_db
def test_a_finished_file_is_not_read_twice_and_again_changes_nothing(
    tmp_path: Path, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    path = write_csv(
        tmp_path / "usage.csv", [record(f"r{n}", iccid(1), hours_ago=n) for n in range(1, 4)]
    )
    ingest(path)
    out, _ = ingest(path)
    assert "Nothing to do" in out
    out, _ = ingest(path, "--again")
    assert "0 accepted, 3 duplicates" in out
    assert UsageRecord.objects.count() == 3
    assert Bundle.objects.get(esim=line_esim).used_bytes == 30_000


@pytest.mark.django_db
def test_bad_files_are_refused_with_a_message(tmp_path: Path, partner: tuple[Partner, str]) -> None:
    wrong = tmp_path / "usage.txt"
    wrong.write_text("x")
    with pytest.raises(CommandError, match=r"\.csv or \.jsonl"):
        ingest(wrong)
    header = tmp_path / "usage.csv"
    header.write_text("record_id,iccid\nr1,123\n")
    with pytest.raises(CommandError, match="header lacks"):
        ingest(header)
    with pytest.raises(CommandError, match="No active partner"):
        call_command("usage_ingest", str(header), "--partner", "nobody", "--no-progress")


def _ingest_slowly(path: str) -> None:
    # In the forked child: its own connections, then the real command.
    for connection in connections.all():
        connection.close()
    call_command(
        "usage_ingest",
        path,
        "--partner",
        "orange-roaming",
        "--chunk-size",
        "100",
        "--pause",
        "0.3",
        "--no-progress",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_is_finished_by_a_rerun_without_duplicates(
    tmp_path: Path, partner: tuple[Partner, str], line_esim: Esim
) -> None:
    count = 1_000
    path = write_csv(
        tmp_path / "big.csv",
        [record(f"k{n}", iccid(1), hours_ago=n / 60, up=n, down=1) for n in range(count)],
    )
    for connection in connections.all():
        connection.close()
    child = multiprocessing.get_context("fork").Process(target=_ingest_slowly, args=(str(path),))
    child.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = IngestBatch.objects.filter(file_sha256__gt="").values_list("lines_done", flat=True)
        if done and done[0] >= 300:
            break
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join()
    stored_before = UsageRecord.objects.count()
    assert 300 <= stored_before < count, "the import was not interrupted mid-file"
    out, _ = ingest(path)
    assert f"Resuming {path}" in out
    assert UsageRecord.objects.count() == count
    assert UsageRecordKey.objects.count() == count
    assert UsageRecord.objects.values("record_id").distinct().count() == count
    expected = sum(n + 1 for n in range(count))
    assert Bundle.objects.get(esim=line_esim).used_bytes == expected
    batch = IngestBatch.objects.get()
    assert batch.accepted == count and batch.finished_at is not None

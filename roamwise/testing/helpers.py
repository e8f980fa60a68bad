"""Helpers for what a test does and looks at: after-commit hooks, queued jobs,
links in emails, and where a value is stored."""

from __future__ import annotations

import base64
import datetime as dt
import pickle
import re
import zlib
from collections.abc import Callable

from django.apps import apps
from django.db import connection, connections, router
from django.test import TestCase

# The smallest file that passes for a PNG image: an upload in a ticket or a form.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def committed(action: Callable[[], object]) -> object:
    """Run ``action`` and the after-commit hooks it leaves (email jobs queued)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def run_jobs(max_rounds: int = 200) -> int:
    """Run every queued job in this process, including ones scheduled for
    later (retries), until the queue is empty. Returns how many ran."""
    from huey.contrib.djhuey import HUEY

    # Time travel: a job scheduled for later (a retry with backoff) runs now.
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    ran = 0
    for _ in range(max_rounds):
        task = HUEY.dequeue()
        if task is None:
            due = HUEY.read_schedule(later)
            if not due:
                break
            for scheduled in due:
                HUEY.enqueue(scheduled)
            continue
        HUEY.execute(task, timestamp=later)
        ran += 1
    return ran


def link_in(body: str, path_fragment: str) -> str:
    """The path of the first link in ``body`` that contains ``path_fragment``."""
    match = re.search(rf"https?://[^\s]+{re.escape(path_fragment)}[^\s]*", body)
    assert match, f"no link containing {path_fragment!r} in:\n{body}"
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def code_in(body: str) -> str:
    """The email verification code in ``body``: six digits on a line of their own."""
    match = re.search(r"^\s*(\d{6})\s*$", body, re.MULTILINE)
    assert match, f"no verification code in:\n{body}"
    return match.group(1)


def rows_containing(needle: str) -> list[str]:
    """Every table and column, across all models, whose text holds ``needle``.

    Includes decoded sessions and the database cache table, so that "nothing
    kept" means nothing anywhere in the database.
    """
    hits: list[str] = []
    text_types = {"CharField", "TextField", "JSONField", "EmailField", "SlugField"}
    for model in apps.get_models(include_auto_created=True):
        alias = router.db_for_read(model) or "default"
        db = connections[alias]
        table = db.ops.quote_name(model._meta.db_table)
        for field in model._meta.concrete_fields:
            if field.get_internal_type() not in text_types or field.column is None:
                continue
            column = db.ops.quote_name(field.column)
            # Raw SQL over the stored text: what a database reader would see.
            sql = f"SELECT COUNT(*) FROM {table} WHERE LOWER(CAST({column} AS TEXT)) LIKE %s"  # noqa: S608
            with db.cursor() as cursor:
                cursor.execute(sql, [f"%{needle.lower()}%"])
                if cursor.fetchone()[0]:
                    hits.append(f"{model._meta.db_table}.{field.column}")
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        if needle.lower() in str(session.get_decoded()).lower():
            hits.append(f"session {session.session_key}")
    if "roamwise_cache" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key, value FROM roamwise_cache")
            for key, value in cursor.fetchall():
                # The database cache stores base64-encoded pickles: look inside.
                decoded = str(pickle.loads(base64.b64decode(value)))  # noqa: S301
                if needle.lower() in (key + decoded).lower():
                    hits.append(f"cache {key}")
    return hits


def pdf_text(pdf: bytes) -> bytes:
    """A ReportLab PDF's page content: its streams are ASCII85, then Flate, encoded."""
    streams = re.findall(rb"stream\r?\n(.*?)~>endstream", pdf, re.S)
    return b"".join(zlib.decompress(base64.a85decode(stream)) for stream in streams)


def vet_every_partner() -> None:
    """Every recipient on record as screened and bound to confidentiality (SHR-07)."""
    from roamwise.datamap.vocabulary import RECIPIENTS
    from roamwise.kernel.models import PartnerVetting

    today = dt.date(2026, 1, 5)
    PartnerVetting.objects.bulk_create(
        [
            PartnerVetting(
                recipient=code,
                privacy_policy_url=f"https://{code}.example/privacy",
                screened_on=today,
                confidentiality_signed_on=today,
            )
            for code in RECIPIENTS
            if code != "authority"  # not screened by us: only under a legal request
        ],
        ignore_conflicts=True,
    )

"""Cost of field encryption: save and load rows with three encrypted fields
against the same rows with plain fields (baseline) and against the vault's own
sealing and opening without the ORM (ceiling).

    .venv/bin/python bench/vault.py [--rows 10000] [--rounds 5]

Both models have the same three fields (text, date, text) and are measured in
the same run on a scratch SQLite database (or DATABASE_URL). Each encrypted
row belongs to its own data subject, the worst case for key handling.
Measured in interleaved rounds:

Save (the table emptied before each round):
- baseline: ``bulk_create`` of the plain rows;
- encrypted: the new subjects' keys created in one insert (``create_keys``,
  as a bulk import does), then ``bulk_create`` of the encrypted rows;
- ceiling: the same keys created the same way, every field sealed with
  ``services.seal`` (the field's own bytes and associated data), and the rows
  written by one ``executemany`` between ``BEGIN`` and ``COMMIT``: the
  encryption's cost without the ORM's.

Load (every row loaded and each field read):
- raw SQL: the plain table's rows by one SELECT, for reference;
- baseline: the plain rows through the ORM;
- encrypted, keys unwrapped: the key cache emptied first, every row's key
  fetched with one query (``prefetch_keys``) and unwrapped;
- encrypted, keys cached: the same with the keys already in the cache, as
  within one request;
- ceilings: the encrypted table's rows by one SELECT and every field opened
  with ``services.open_sealed``, without the ORM: once with the keys fetched
  and unwrapped as above (``prefetch_keys``), once with them cached.

Prints medians and ranges, the ratios, and the cost per field in µs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.db import connection, models

from bench._measure import interleaved, migrate, report
from roamwise.vault import services
from roamwise.vault.fields import EncryptedDateField, EncryptedTextField
from roamwise.vault.services import Sealed


class PlainRow(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True)
    phone = models.TextField()
    born = models.DateField()
    note = models.TextField()

    class Meta:
        app_label = "bench"


class SealedRow(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True)
    phone = EncryptedTextField(subject="self", row_key="public_id")
    born = EncryptedDateField(subject="self", row_key="public_id")
    note = EncryptedTextField(subject="self", row_key="public_id")

    class Meta:
        app_label = "bench"


def rows(model: type[models.Model], count: int) -> list[models.Model]:
    start = date(1960, 1, 1)
    return [
        model(
            phone=f"+4479110{i:05d}",
            born=start + timedelta(days=i % 15000),
            note=f"prefers e-mail, travels to Japan, customer {i}",
        )
        for i in range(count)
    ]


def load_and_read(model: type[models.Model]) -> None:
    loaded = list(model.objects.all())
    if model is SealedRow:
        services.prefetch_keys(
            obj.__dict__["phone"].subject_hex
            for obj in loaded
            if isinstance(obj.__dict__["phone"], Sealed)
        )
    for obj in loaded:
        _ = (obj.phone, obj.born, obj.note)


FIELDS = ("phone", "born", "note")


def save(model: type[models.Model], count: int) -> float:
    model.objects.all().delete()
    objects = rows(model, count)
    begin = time.perf_counter()
    if model is SealedRow:
        # New subjects: their keys are created in one insert, as a bulk import does.
        services.create_keys(obj.public_id for obj in objects)
    model.objects.bulk_create(objects, batch_size=1000)
    return time.perf_counter() - begin


def save_ceiling(count: int) -> float:
    SealedRow.objects.all().delete()
    objects: list[Any] = rows(SealedRow, count)
    fields: list[Any] = [SealedRow._meta.get_field(name) for name in FIELDS]
    public_id: Any = SealedRow._meta.get_field("public_id")
    begin = time.perf_counter()
    services.create_keys(obj.public_id for obj in objects)
    params = [
        (
            public_id.get_db_prep_value(obj.public_id, connection),
            *(
                services.seal(
                    obj.public_id,
                    field.to_bytes(obj.__dict__[field.attname]),
                    field.associated_data(obj),
                )
                for field in fields
            ),
        )
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.executemany(
            "INSERT INTO bench_sealedrow (public_id, phone, born, note) VALUES (%s, %s, %s, %s)",
            params,
        )
        cursor.execute("COMMIT")
    return time.perf_counter() - begin


def raw_select() -> float:
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, public_id, phone, born, note FROM bench_plainrow")
        cursor.fetchall()
    return time.perf_counter() - begin


def load(model: type[models.Model], *, cached: bool) -> float:
    if cached:
        load_and_read(model)  # keys now cached, as within one request
    else:
        services.clear_key_cache()
    begin = time.perf_counter()
    load_and_read(model)
    return time.perf_counter() - begin


def load_ceiling(*, cached: bool) -> float:
    if cached:
        load_and_read(SealedRow)  # keys now cached
    else:
        services.clear_key_cache()
    prefixes = [
        f"{SealedRow._meta.db_table}\x1f{field.column}\x1f".encode()
        for field in SealedRow._meta.concrete_fields
        if field.name in FIELDS
    ]
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, public_id, phone, born, note FROM bench_sealedrow")
        found = cursor.fetchall()
    if not cached:
        services.prefetch_keys(Sealed(phone).subject_hex for _, _, phone, _, _ in found)
    for _, public_id, *tokens in found:
        row = str(uuid.UUID(str(public_id))).encode() + b"\x1f"
        for prefix, token in zip(prefixes, tokens, strict=True):
            services.open_sealed(Sealed(token), prefix + row)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    count = args.rows
    migrate()
    with connection.schema_editor() as editor:
        editor.create_model(PlainRow)
        editor.create_model(SealedRow)
    print(f"rows: {count}, database: {connection.vendor}", flush=True)

    def show(seconds: float) -> str:
        return f"{seconds * 1000:8.1f}"

    print("save:")
    saved = interleaved(
        args.rounds,
        {
            "plain": lambda: save(PlainRow, count),
            "encrypted": lambda: save(SealedRow, count),
            "SQL, sealed by the vault": lambda: save_ceiling(count),
        },
        show=show,
        unit="ms",
    )
    save(SealedRow, count)  # the rows loaded below went through the ORM
    print("load:")
    loaded = interleaved(
        args.rounds,
        {
            "raw SQL, plain": raw_select,
            "plain": lambda: load(PlainRow, cached=False),
            "encrypted, keys unwrapped": lambda: load(SealedRow, cached=False),
            "encrypted, keys cached": lambda: load(SealedRow, cached=True),
            "SQL, opened, keys unwrapped": lambda: load_ceiling(cached=False),
            "SQL, opened, keys cached": lambda: load_ceiling(cached=True),
        },
        show=show,
        unit="ms",
    )
    print("\nsave:", end="")
    report(
        saved,
        show=show,
        unit="ms",
        subjects=["encrypted"],
        baseline="plain",
        ceiling="SQL, sealed by the vault",
        higher_is_better=False,
    )
    print("\nload:", end="")
    report(
        loaded,
        show=show,
        unit="ms",
        subjects=["encrypted, keys unwrapped", "encrypted, keys cached"],
        baseline="plain",
        ceiling={
            "encrypted, keys unwrapped": "SQL, opened, keys unwrapped",
            "encrypted, keys cached": "SQL, opened, keys cached",
        },
        higher_is_better=False,
    )
    fields = count * len(FIELDS)

    def per_field(results: dict[str, list[float]], name: str) -> str:
        extra = statistics.median(results[name]) - statistics.median(results["plain"])
        return f"{extra / fields * 1e6:.2f} µs"

    print(
        f"\nper encrypted field over plain: load {per_field(loaded, 'encrypted, keys unwrapped')} "
        f"(keys cached {per_field(loaded, 'encrypted, keys cached')}), "
        f"save {per_field(saved, 'encrypted')}"
    )


if __name__ == "__main__":
    main()

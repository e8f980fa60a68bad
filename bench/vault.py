"""Cost of field encryption: save and load 10,000 rows, encrypted vs plain.

    .venv/bin/python bench/vault.py [--rows 10000]

Both models have the same three fields (text, date, text) and are measured in
the same run on a scratch SQLite database (or DATABASE_URL). Each encrypted
row belongs to its own data subject, the worst case for key handling: the load
fetches every row's key with one query (``prefetch_keys``) and unwraps it.
Prints times, the ratio encrypted/plain, and the cost per field in µs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ROAMWISE_DATA_DIR", tempfile.mkdtemp(prefix="roamwise-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roamwise.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, models

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


def timed(fn):  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(3):
        services.clear_key_cache()
        begin = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - begin)
    return best


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    count = parser.parse_args().rows
    call_command("migrate", verbosity=0)
    call_command("migrate", database="vault", verbosity=0)
    with connection.schema_editor() as editor:
        editor.create_model(PlainRow)
        editor.create_model(SealedRow)

    def save(model: type[models.Model]) -> float:
        objects = rows(model, count)
        begin = time.perf_counter()
        if model is SealedRow:
            # New subjects: their keys are created in one insert, as a bulk import does.
            services.create_keys(obj.public_id for obj in objects)
        model.objects.bulk_create(objects, batch_size=1000)
        return time.perf_counter() - begin

    plain_save = save(PlainRow)
    sealed_save = save(SealedRow)

    with connection.cursor() as cursor:
        raw = timed(
            lambda: (
                cursor.execute(
                    "SELECT id, public_id, phone, born, note FROM bench_plainrow"
                ).fetchall()
                if connection.vendor == "sqlite"
                else (
                    cursor.execute("SELECT id, public_id, phone, born, note FROM bench_plainrow"),
                    cursor.fetchall(),
                )
            )
        )
    plain_load = timed(lambda: load_and_read(PlainRow))
    sealed_load = timed(lambda: load_and_read(SealedRow))

    def warm() -> None:
        load_and_read(SealedRow)

    services.clear_key_cache()
    load_and_read(SealedRow)  # keys now cached, as within one request
    begin = time.perf_counter()
    warm()
    sealed_warm = time.perf_counter() - begin

    fields = count * 3
    print(f"rows: {count}, database: {connection.vendor}")
    print(f"raw SQL select (baseline):      {raw * 1000:8.1f} ms")
    print(f"save plain:                     {plain_save * 1000:8.1f} ms")
    print(
        f"save encrypted:                 {sealed_save * 1000:8.1f} ms  ratio {sealed_save / plain_save:5.2f}x"
    )
    print(f"load plain:                     {plain_load * 1000:8.1f} ms")
    print(
        f"load encrypted (keys unwrapped):{sealed_load * 1000:8.1f} ms  ratio {sealed_load / plain_load:5.2f}x"
    )
    print(
        f"load encrypted (keys cached):   {sealed_warm * 1000:8.1f} ms  ratio {sealed_warm / plain_load:5.2f}x"
    )
    print(
        f"per encrypted field, load:      {(sealed_load - plain_load) / fields * 1e6:8.2f} µs"
        f"  (cached keys {(sealed_warm - plain_load) / fields * 1e6:.2f} µs)"
    )
    print(f"per encrypted field, save:      {(sealed_save - plain_save) / fields * 1e6:8.2f} µs")


if __name__ == "__main__":
    main()

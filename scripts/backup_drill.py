"""The backup drill (docs/backups.md, SEC-05): erased stays erased after a restore.

    .venv/bin/python scripts/backup_drill.py [--server postgres://postgres@127.0.0.1:5432]

On two scratch PostgreSQL databases of its own (the primary and the key store,
kept apart as in production), it:

1. makes a customer with sealed personal data (phone, date of birth) and a
   paid order with billing details;
2. backs both databases up with ``pg_dump`` (the "older backup");
3. erases the customer through the one erasure path;
4. restores the **primary** from the older backup: the customer's rows are
   back, still unreadable (their key is destroyed in the key store); runs
   ``manage.py restore_tombstones`` and checks that the rows are gone again;
5. restores the **key store** from the older backup: the customer's data key
   is back; runs ``restore_tombstones`` and checks that it is destroyed again.

Prints each step and exits 1 at the first check that fails. The scratch
databases are dropped at the end. Needs ``pg_dump``, ``pg_restore`` and
``psql`` (Debian's postgresql-client).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def psql(server: str, sql: str) -> None:
    subprocess.run(["psql", f"{server}/postgres", "-q", "-c", sql], check=True)


def step(text: str) -> None:
    print(f"== {text}", flush=True)


def check(condition: bool, text: str) -> None:
    print(f"   {'ok' if condition else 'FAILED'}: {text}", flush=True)
    if not condition:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    server = parser.parse_args().server.rstrip("/")
    name = f"rw_drill_{os.getpid()}"
    primary, keys = f"{server}/{name}", f"{server}/{name}_vault"
    psql(server, f"CREATE DATABASE {name}")
    psql(server, f"CREATE DATABASE {name}_vault")
    try:
        with tempfile.TemporaryDirectory(prefix="roamwise-drill-") as folder:
            drill(Path(folder), primary, keys)
    finally:
        from django.db import connections

        connections.close_all()
        psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(server, f"DROP DATABASE IF EXISTS {name}_vault WITH (FORCE)")


def drill(folder: Path, primary: str, keys: str) -> None:
    os.environ.update(
        DATABASE_URL=primary,
        VAULT_DATABASE_URL=keys,
        ROAMWISE_DATA_DIR=str(folder / "data"),
        DJANGO_SETTINGS_MODULE="roamwise.settings",
        HUEY_NAME=f"drill-{os.getpid()}",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench._measure import migrate
    from roamwise.accounts.models import Profile, User
    from roamwise.catalog.models import Plan
    from roamwise.catalog.services import catalog_load_demo
    from roamwise.orders.models import Order
    from roamwise.rights.erasure import erase_subject
    from roamwise.testing.people import make_customer
    from roamwise.testing.shopping import paid_order
    from roamwise.vault.errors import DataErased
    from roamwise.vault.models import DataKey

    step("the schema, a customer with sealed data and a paid order")
    migrate()
    catalog_load_demo()
    customer = make_customer("drill", first_name="Dora", last_name="Drill")
    order = paid_order(customer, Plan.objects.filter(is_active=True).first())
    subject_id = customer.public_id
    check(Profile.objects.get(user=customer).phone == "+447911123456", "the phone reads back")

    step("backup of both databases, kept apart")
    backups = {}
    for label, url in (("primary", primary), ("key store", keys)):
        backups[label] = folder / f"{label.replace(' ', '_')}.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(backups[label]), url], check=True)
    check(all(path.stat().st_size > 0 for path in backups.values()), "two dumps written")

    step("the customer is erased")
    erase_subject(user=customer, reason="backup drill")
    check(not DataKey.objects.filter(subject_id=subject_id).exists(), "their data key is destroyed")
    check(not User.objects.filter(public_id=subject_id, is_active=True).exists(), "account gone")

    def restore(label: str, url: str) -> None:
        connections.close_all()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", url, str(backups[label])],
            check=True,
        )

    step("the primary database restored from the older backup")
    restore("primary", primary)
    back = Profile.objects.filter(user__public_id=subject_id).first()
    check(back is not None, "the restore brought the customer's rows back")
    try:
        readable = back is not None and back.phone == "+447911123456"
    except DataErased:
        readable = False
    check(not readable, "but their phone is unreadable: its key is destroyed")
    call_command("restore_tombstones")
    check(not Profile.objects.filter(user__public_id=subject_id).exists(), "erased again")
    kept = Order.objects.filter(pk=order.pk).values_list("billing_country", flat=True).first()
    check(kept == "FR", "the invoice's order is kept for tax law, without the person")

    step("the key store restored from the older backup")
    restore("key store", keys)
    check(
        DataKey.objects.filter(subject_id=subject_id).exists(), "the restore brought the key back"
    )
    call_command("restore_tombstones")
    check(not DataKey.objects.filter(subject_id=subject_id).exists(), "destroyed again")
    print("The drill passed: erased stays erased after restoring either database.")


if __name__ == "__main__":
    main()

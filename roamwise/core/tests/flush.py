"""Emptying the databases after a transactional test, quickly (ADR 0019).

A transactional test (``transactional_db``, ``live_server``, the ``shop``
fixture, the browser tests) commits for real, so Django's
``TransactionTestCase`` empties the databases afterwards: every table (one
DELETE each on SQLite, a TRUNCATE of all of them on PostgreSQL), and then it
emits ``post_migrate`` so that the content types, the permissions and the staff
roles are made again, a few hundred queries.

Here the result is the same, for less. The first flush of a run is Django's;
the tables holding rows right after it are the ones ``post_migrate`` fills
(the "reference tables") and their rows are fingerprinted. After each later
test, if the reference tables still hold exactly those rows, they are left as
they are and, of the other tables, only those holding rows are emptied (one
TRUNCATE ... CASCADE on PostgreSQL). If a test changed a reference table (a
new group, a permission given to a role), Django's full flush runs again. A
test that sets ``available_apps`` or ``serialized_rollback`` gets Django's
teardown unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, transaction
from django.test import TransactionTestCase

# SQLite allows 500 terms in one compound SELECT.
_TABLES_PER_QUERY = 200


@dataclass(frozen=True)
class Reference:
    """What a database holds right after Django's flush."""

    tables: frozenset[str]
    fingerprint: str
    # Tables emptied with TRUNCATE rather than DELETE (see _empty).
    guarded: frozenset[str]


_references: dict[str, Reference] = {}


def _table_names(connection: Any) -> set[str]:
    # The tables Django's flush empties: every managed model's, where it exists.
    return set(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _tables_with_rows(connection: Any, tables: Iterable[str]) -> set[str]:
    names = sorted(tables)
    quote = connection.ops.quote_name
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(names), _TABLES_PER_QUERY):
            chunk = names[start : start + _TABLES_PER_QUERY]
            sql = " UNION ALL ".join(
                f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {quote(name)})"  # noqa: S608
                for index, name in enumerate(chunk)
            )
            cursor.execute(sql)
            found.update(chunk[row[0]] for row in cursor.fetchall())
    return found


def _fingerprint(connection: Any, tables: Iterable[str]) -> str:
    quote = connection.ops.quote_name
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for name in sorted(tables):
            cursor.execute(f"SELECT * FROM {quote(name)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest.update(f"{name} {len(rows)}\n".encode())
            for row in rows:
                digest.update(row.encode() + b"\n")
    return digest.hexdigest()


def _closed_under_references(connection: Any, tables: frozenset[str]) -> bool:
    """Whether the reference tables point only at one another: then emptying
    the other tables (with CASCADE) never reaches them."""
    with connection.cursor() as cursor:
        for name in tables:
            relations = connection.introspection.get_relations(cursor, name)
            if any(other not in tables for _column, other in relations.values()):
                return False
    return True


def flush_fully(alias: str) -> None:
    """Django's flush, then what it left is taken as the reference."""
    call_command(
        "flush",
        verbosity=0,
        interactive=False,
        database=alias,
        reset_sequences=False,
        allow_cascade=False,
        inhibit_post_migrate=False,
    )
    connection = connections[alias]
    tables = frozenset(_tables_with_rows(connection, _table_names(connection)))
    if _closed_under_references(connection, tables):
        _references[alias] = Reference(
            tables, _fingerprint(connection, tables), frozenset(_guarded_tables(connection))
        )
    else:
        _references.pop(alias, None)


def flush_after_test(alias: str) -> None:
    connection = connections[alias]
    reference = _references.get(alias)
    if reference is None or _fingerprint(connection, reference.tables) != reference.fingerprint:
        flush_fully(alias)
        return
    written = _tables_with_rows(connection, _table_names(connection) - reference.tables)
    if written:
        _empty(connection, written, reference.guarded & written)


def _guarded_tables(connection: Any) -> set[str]:
    """PostgreSQL tables whose own triggers refuse a DELETE (the append-only
    audit trail): TRUNCATE fires no row trigger, as in Django's flush."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND (t.tgtype & 8) <> 0"  # 8: fires on DELETE
            " AND pg_table_is_visible(c.oid)"
        )
        return {row[0] for row in cursor.fetchall()}


def _empty(connection: Any, tables: set[str], guarded: set[str] | frozenset[str]) -> None:
    """DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE makes new files for the
    table, its indexes and, with CASCADE, every table that refers to it, and
    syncs them to disk; deleting the few rows a test wrote is much quicker.
    Django's foreign keys are deferred, so the order does not matter."""
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for name in sorted(tables - guarded):
            cursor.execute(f"DELETE FROM {quote(name)}")  # noqa: S608
        if guarded:
            for sql in connection.ops.sql_flush(no_style(), sorted(guarded), allow_cascade=True):
                cursor.execute(sql)


_django_fixture_teardown = TransactionTestCase._fixture_teardown


def _fixture_teardown(self: TransactionTestCase) -> None:
    if self.available_apps is not None or self.serialized_rollback:
        _django_fixture_teardown(self)
        return
    for alias in self._databases_names(include_mirrors=False):
        flush_after_test(alias)


def install() -> None:
    """Every TransactionTestCase, and so every pytest-django transactional
    test, is torn down by ``_fixture_teardown`` above."""
    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]

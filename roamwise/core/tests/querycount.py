"""Counting the queries of a request on every database, for the query-count tests.

The primary database, the key store ("vault") and, when the shared cache is the
database cache (the default without Redis), its look-ups, counted apart: with
Redis they are not queries at all (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


@dataclass
class Queries:
    default: list[str] = field(default_factory=list)
    vault: list[str] = field(default_factory=list)
    cache: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"default": len(self.default), "vault": len(self.vault), "cache": len(self.cache)}

    def __str__(self) -> str:
        return "\n".join(
            f"{alias}: {sql}"
            for alias in ("default", "vault", "cache")
            for sql in getattr(self, alias)
        )


def cache_lookups(count: int) -> int:
    """``count`` shared-cache look-ups, as queries: none unless it is the database cache."""
    return count if settings.CACHES["default"]["BACKEND"] == DATABASE_CACHE else 0


@contextmanager
def queries() -> Iterator[Queries]:
    found = Queries()
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in ("default", "vault")
        }
        yield found
    cache_table = settings.CACHES["default"].get("LOCATION", "")
    for alias, context in captured.items():
        for query in context.captured_queries:
            sql = query["sql"]
            if alias == "default" and cache_table and f'"{cache_table}"' in sql:
                found.cache.append(sql)
            else:
                getattr(found, alias).append(sql)

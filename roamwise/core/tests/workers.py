"""A pytest plugin: each pytest-xdist worker gets a data folder, a job queue and
cache keys of its own (ADR 0019).

``make test`` runs the suite in parallel processes. settings.py derives the
SQLite databases, the Huey queue file, the secrets and the keyring from
``ROAMWISE_DATA_DIR``, and the Redis queue and cache keys from ``HUEY_NAME``
and ``CACHE_KEY_PREFIX``; two workers sharing them would take each other's
jobs and clear each other's rate limits. pyproject.toml loads this module with
``-p``, so it runs before pytest-django reads the settings; xdist has already
set ``PYTEST_XDIST_WORKER`` (``gw0``, ``gw1``, ...) by then. Without xdist it
changes nothing. PostgreSQL test databases get the worker's suffix from
pytest-django itself (``test_roamwise_gw0``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# roamwise/core/tests/workers.py -> the repository, whose var/ settings.py uses by default.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "var"


def worker_environment(environ: dict[str, str], worker: str) -> dict[str, str]:
    """The variables that give ``worker`` its own files, queue and cache keys."""
    data_dir = Path(environ.get("ROAMWISE_DATA_DIR") or DEFAULT_DATA_DIR)
    return {
        "ROAMWISE_DATA_DIR": str(data_dir / worker),
        "HUEY_NAME": f"{environ.get('HUEY_NAME') or 'roamwise'}-{worker}",
        "CACHE_KEY_PREFIX": f"{environ.get('CACHE_KEY_PREFIX') or 'roamwise'}-{worker}",
    }


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    os.environ.update(worker_environment(dict(os.environ), _worker))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests first, then the tests marked ``long``: one of them
    handed out last keeps a worker busy after the others have finished (the
    journey takes a minute). Otherwise pytest-django's order stands; a
    transactional test leaves the databases as it found them (flush.py), so
    what runs after it does not change."""
    items.sort(key=_hand_out_order)


def _hand_out_order(item: pytest.Item) -> int:
    if item.get_closest_marker("browser") is not None:
        return 0
    if item.get_closest_marker("long") is not None:
        return 1
    return 2

"""The suppliers' stand-ins served over real HTTP on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimaccess import EsimAccessStandin
from roamwise.suppliers.standins.esimgo import EsimGoStandin
from roamwise.suppliers.standins.server import serve_in_thread

WEBHOOK_TOKEN = "esimaccess-webhook-token"


@pytest.fixture
def esimaccess(settings: Any) -> Iterator[EsimAccessStandin]:
    standin = EsimAccessStandin(allocation_delay=3600, rate_limit=1000)
    server, url = serve_in_thread(standin)
    settings.ESIMACCESS_API_BASE = url
    settings.ESIMACCESS_ACCESS_CODE = standin.access_code
    settings.ESIMACCESS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    settings.SUPPLIER_MAX_RETRY_WAIT = 5
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def airalo(settings: Any) -> Iterator[AiraloStandin]:
    standin = AiraloStandin(async_delay=0)
    server, url = serve_in_thread(standin)
    settings.AIRALO_API_BASE = f"{url}/v2"
    settings.AIRALO_CLIENT_ID = standin.client_id
    settings.AIRALO_CLIENT_SECRET = standin.client_secret
    settings.SUPPLIER_MAX_RETRY_WAIT = 5
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def esimgo(settings: Any) -> Iterator[EsimGoStandin]:
    standin = EsimGoStandin(rate_limit=1000)
    server, url = serve_in_thread(standin)
    settings.ESIMGO_API_BASE = f"{url}/v2.4"
    settings.ESIMGO_API_KEY = standin.api_key
    settings.SUPPLIER_MAX_RETRY_WAIT = 5
    yield standin
    server.shutdown()
    server.server_close()


def closed_port_url(path: str = "") -> str:
    """A loopback address where nothing listens: a free port, bound then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"

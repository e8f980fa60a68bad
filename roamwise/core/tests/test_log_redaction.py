"""One-time secrets in URLs stay out of the web server's and Django's logs."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from roamwise.core.management.commands.serve import web_server_command

# Short secrets (found only through the URLconf) and long ones, on every kind
# of link that carries one.
SECRETS = {
    "/rights/download/{}/": "dlSECRET7q",
    "/rights/verify/{}/": "vfSECRET8r",
    "/notifications/unsubscribe/{}/": "usSECRET9s",
    "/support/confirm/{}/": "scSECRET1t",
    "/support/access/{}/": "saSECRET2u",
    "/account/parental-consent/{}/": "pcSECRET3v",
    "/accounts/confirm-email/{}/": "ceSECRET4w:1vQx:Zr8kT2bLq0",
    "/accounts/password/reset/key/{}/": "k1-prSECRET5x0a9b8c7d6e5f4",
}
LONG = "Zk3fQ9xLw2Rt7Yp0Vb5Nm8Hs4Jd6Gc1A"


def _urls() -> list[tuple[str, str]]:
    """(url, its secret), the short secret and a long one on every route,
    and once without the trailing slash (answered by a redirect)."""
    found = []
    for route, secret in SECRETS.items():
        found.append((route.format(secret), secret))
        found.append((route.format(secret + LONG), LONG))
        found.append((route.format(secret).rstrip("/"), secret))
    found.append(("/cookies/?next=/rights/download/qsSECRET6y/&page=2", "qsSECRET6y"))
    return found


def _assert_redacted(log: str) -> None:
    for _, secret in _urls():
        assert secret not in log
    assert "/rights/download/[redacted]/" in log
    assert "/accounts/password/reset/key/[redacted]/" in log
    assert "/account/parental-consent/[redacted]" in log


@pytest.mark.django_db
@pytest.mark.commitment("SEC-07")
def test_djangos_request_log_keeps_the_route_but_not_the_secret(client: Client) -> None:
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    out = io.StringIO()
    previous = console.setStream(out)  # type: ignore[attr-defined]
    try:
        for url, _ in _urls():
            client.get(url, headers={"referer": "http://testserver" + url})
            # Something Django logs with the path of any request that fails.
            logging.getLogger("django.request").warning("Not Found: %s", url)
    finally:
        console.setStream(previous)  # type: ignore[attr-defined]
    _assert_redacted(out.getvalue())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.commitment("SEC-07")
def test_the_web_servers_access_log_keeps_the_route_but_not_the_secret(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "roamwise.settings",
        "ROAMWISE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "VAULT_DATABASE_URL": "",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            web_server_command(bind=f"127.0.0.1:{port}", workers=1, threads=2),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "the web server did not start"
                    time.sleep(0.2)
            for url, _ in _urls():
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{url}",
                    headers={"Referer": f"http://127.0.0.1:{port}{url}", "Host": "127.0.0.1"},
                )
                # A refused token is still logged: that is the point.
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 (loopback)
        finally:
            server.terminate()
            server.wait(timeout=30)
    log = log_path.read_text()
    assert '"GET /rights/download/[redacted]/ HTTP/1.1"' in log
    # The data directory has no tables: each view fails, so Django's error
    # line and traceback for the request went through the same log too.
    assert "Internal Server Error: /rights/download/[redacted]/" in log
    _assert_redacted(log)

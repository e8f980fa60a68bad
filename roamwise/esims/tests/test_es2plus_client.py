"""The ES2+ client on its own, against small servers on loopback: protocol
versions, typed errors that say whether retrying helps, and mutual TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import connections

from roamwise.esims.es2plus import (
    Es2Error,
    Es2FunctionFailed,
    Es2PlusClient,
    Es2Refused,
    Es2Unreachable,
    new_call_id,
)

ICCID = "8944990000000000018"


class Canned:
    """An HTTP server that answers every POST with what the test sets."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.status = 200
        self.version = "gsma/rsp/v2.1.0"
        self.body: Any = {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}
        self.received: list[dict[str, Any]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                canned.received.append(json.loads(self.rfile.read(length)))
                data = json.dumps(canned.body).encode()
                self.send_response(canned.status)
                self.send_header("Content-Type", "application/json")
                if canned.version:
                    self.send_header("X-Admin-Protocol", canned.version)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def client(self, **kwargs: Any) -> Es2PlusClient:
        return Es2PlusClient(base_url=self.url, requester_id="roamwise", timeout=2, **kwargs)


@pytest.fixture
def smdp() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()


def failed(subject: str, reason: str, status: str = "Failed") -> dict[str, Any]:
    return {
        "header": {
            "functionExecutionStatus": {
                "status": status,
                "statusCodeData": {"subjectCode": subject, "reasonCode": reason, "message": "no"},
            }
        }
    }


@pytest.mark.parametrize("version", ["gsma/rsp/v2.0.0", "gsma/rsp/v2.1.0", "gsma/rsp/v2.5.0"])
def test_any_version_2_answer_is_accepted(smdp: Canned, version: str) -> None:
    smdp.version = version
    smdp.body = {**smdp.body, "iccid": ICCID}

    iccid = smdp.client().download_order(profile_type="travel", call_id=new_call_id())

    assert iccid == ICCID
    (sent,) = smdp.received
    assert sent["header"]["functionRequesterIdentifier"] == "roamwise"
    assert sent["header"]["functionCallIdentifier"].startswith("RW-")


@pytest.mark.parametrize("version", ["", "gsma/rsp/v3.0.0", "v2.2.0"])
def test_an_answer_of_another_protocol_is_not_trusted(smdp: Canned, version: str) -> None:
    smdp.version = version
    with pytest.raises(Es2Unreachable) as caught:
        smdp.client().download_order(profile_type="travel", call_id=new_call_id())
    assert caught.value.outcome_unknown and caught.value.retryable


@pytest.mark.parametrize(
    ("body", "retryable"),
    [
        (failed("8.2.5", "3.7"), False),  # no profile of this type left
        (failed("8.2.1", "3.9"), False),  # unknown ICCID
        (failed("1.2", "4.2"), True),  # execution error at the SM-DP+
        (failed("8.9", "5.1"), True),  # SM-DS inaccessible
        (failed("8.2.5", "3.7", status="Expired"), True),
    ],
)
def test_failures_are_typed_and_say_whether_a_retry_helps(
    smdp: Canned, body: dict[str, Any], retryable: bool
) -> None:
    smdp.body = body
    with pytest.raises(Es2FunctionFailed) as caught:
        smdp.client().download_order(profile_type="travel", call_id=new_call_id())
    data = body["header"]["functionExecutionStatus"]["statusCodeData"]
    assert caught.value.code == f"{data['subjectCode']}/{data['reasonCode']}"
    assert caught.value.retryable is retryable
    assert not caught.value.outcome_unknown  # the SM-DP+ answered: nothing to reconcile


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {}, Es2Unreachable),
        (503, {}, Es2Unreachable),
        (200, ["not", "es2+"], Es2Unreachable),
        (
            200,
            {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}},
            Es2Unreachable,
        ),
        (404, {}, Es2Refused),
    ],
)
def test_transport_problems_are_typed(
    smdp: Canned, status: int, body: Any, error: type[Exception]
) -> None:
    smdp.status, smdp.body = status, body
    with pytest.raises(error):
        smdp.client().download_order(profile_type="travel", call_id=new_call_id())


def test_we_never_send_what_the_schema_refuses(smdp: Canned) -> None:
    # A typed error that retrying cannot fix, not an exception the job does not expect.
    with pytest.raises(Es2Error) as refused:
        smdp.client().confirm_order(iccid="12", matching_id="lower-case", call_id=new_call_id())
    assert smdp.received == []
    assert not refused.value.retryable and not refused.value.outcome_unknown
    assert "confirmOrder request would be invalid" in refused.value.message


# --- Mutual TLS (SGP.22 §6.1.1): the SM-DP+ accepts only our client certificate ---


def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    cert_file, key_file = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_mutual_tls_with_our_client_certificate(tmp_path: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", ca_key, None)
    (tmp_path / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    keys = {name: ec.generate_private_key(ec.SECP256R1()) for name in ("server", "client")}
    server_files = _write(
        tmp_path / "server",
        _certificate("smdp", keys["server"], (ca.subject, ca_key)),
        keys["server"],
    )
    client_files = _write(
        tmp_path / "client",
        _certificate("roamwise", keys["client"], (ca.subject, ca_key)),
        keys["client"],
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_files)
    context.load_verify_locations(str(tmp_path / "ca.crt"))
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no connection
    smdp = Canned(tls=context)
    smdp.body = {**smdp.body, "iccid": ICCID}
    try:
        ca_bundle = str(tmp_path / "ca.crt")
        with_cert = smdp.client(client_cert=client_files, ca_bundle=ca_bundle)
        assert with_cert.download_order(profile_type="travel", call_id=new_call_id()) == ICCID
        with pytest.raises(Es2Unreachable):
            smdp.client(ca_bundle=ca_bundle).download_order(
                profile_type="travel", call_id=new_call_id()
            )
        assert len(smdp.received) == 1  # the one without a certificate never got through
    finally:
        smdp.server.shutdown()


# --- The stand-in binds the client certificate to the requester (SEC-03) ---------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


# How every gunicorn of the project starts (core's serve.web_server_command).
SERVED = [sys.executable, "-m", "gunicorn", "roamwise.wsgi:application"]


def _child_command_lines(pid: int) -> list[list[str]]:
    """The command lines of a process's children, as the kernel reports them."""
    lines = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            raw = Path(f"/proc/{child}/cmdline").read_bytes()
            lines.append(raw.rstrip(b"\0").decode().split("\0"))
    return lines


def _wait_until_gone(group: int) -> None:
    """Gunicorn's master and workers hold the test database: wait for them to end."""
    deadline = time.monotonic() + 30
    while True:
        try:
            os.killpg(group, signal.SIGKILL if time.monotonic() > deadline else 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)


@pytest.mark.commitment("SEC-03")
@pytest.mark.django_db(transaction=True)
def test_run_smdp_takes_a_certificate_for_its_own_requester_only(tmp_path: Path) -> None:
    """``manage.py run_smdp`` with mutual TLS, as a process: operator B's
    certificate calls as B; operator A's certificate, as good as it is, cannot."""
    from roamwise.smdp.services import inventory_add

    inventory_add(profile_type="b-travel", count=2, operator="operator-b")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", ca_key, None)
    (tmp_path / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files = {}
    for name in ("smdp", "roamwise", "operator-b"):
        key = ec.generate_private_key(ec.SECP256R1())
        files[name] = _write(tmp_path / name, _certificate(name, key, (ca.subject, ca_key)), key)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_smdp",
            "--bind",
            f"127.0.0.1:{port}",
            "--certfile",
            files["smdp"][0],
            "--keyfile",
            files["smdp"][1],
            "--client-ca",
            str(tmp_path / "ca.crt"),
        ],
        cwd=Path(__file__).resolve().parents[3],
        env={
            **os.environ,
            "DATABASE_URL": _database_url("default"),
            "VAULT_DATABASE_URL": _database_url("vault"),
            "SMDP_OPERATOR_ID": "operator-b",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # run_smdp starts gunicorn: stop them together
    )
    try:

        def client(cert: str) -> Es2PlusClient:
            return Es2PlusClient(
                base_url=f"https://127.0.0.1:{port}",
                requester_id="operator-b",
                timeout=10,
                client_cert=files[cert],
                ca_bundle=str(tmp_path / "ca.crt"),
            )

        # Until its workers have booted, the server does not answer at all.
        deadline = time.monotonic() + 120
        refused: Es2FunctionFailed | None = None
        while True:
            try:
                client("roamwise").download_order(profile_type="b-travel", call_id=new_call_id())
                break  # let through: operator A's certificate spoke for B
            except Es2FunctionFailed as failed:
                refused = failed
                break
            except Es2Unreachable:
                assert time.monotonic() < deadline and server.poll() is None, "run_smdp is down"
                time.sleep(0.5)
        iccid = client("operator-b").download_order(profile_type="b-travel", call_id=new_call_id())
        # The web server is started as serve starts every gunicorn: threaded
        # workers, no control socket in $HOME shared with other gunicorns.
        gunicorn = _child_command_lines(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        _wait_until_gone(server.pid)

    assert refused is not None and refused.code == "1.1/1.2"  # §5.2.6: Requester, Not Allowed
    assert len(gunicorn) == 1, gunicorn
    assert gunicorn[0][: len(SERVED)] == SERVED
    assert {"--worker-class", "gthread", "--no-control-socket"} <= set(gunicorn[0])
    from roamwise.smdp.models import SmdpProfile

    assert list(SmdpProfile.objects.exclude(state="Available").values_list("iccid", flat=True)) == [
        iccid
    ]

"""The SM-DP+ simulator speaks ES2+ as SGP.22 defines it: every request we send
and every answer and notification it produces validates against the shared
schemas (../shared/conformance/es2plus-schemas)."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from django.conf import settings
from django.test import Client, TestCase

from roamwise.smdp.models import ProfileState, ProgressNotification, SmdpProfile
from roamwise.smdp.services import inventory_add, luhn_digit
from roamwise.testing.helpers import run_jobs
from roamwise.testing.lines import EID

# The stand-in under test, mounted in the site under test (ADR 0018).
pytestmark = pytest.mark.usefixtures("stand_ins")

# Beside the project: next to its checkout, or one level up from a worktree.
SCHEMAS = next(
    (
        found
        for parent in Path(__file__).resolve().parents[3:6]
        if (found := parent / "shared" / "conformance" / "es2plus-schemas").is_dir()
    ),
    Path(__file__).resolve().parents[4] / "shared" / "conformance" / "es2plus-schemas",
)
REQUEST_SCHEMA = {
    "downloadOrder": "ES2+DownloadOrder-def.json",
    "confirmOrder": "ES2+ConfirmOrder-def.json",
    "cancelOrder": "ES2+CancelOrder-def.json",
    "releaseProfile": "ES2+ReleaseProfile-def.json",
}
RESPONSE_SCHEMA = {
    "downloadOrder": "ES2+DownloadOrder-response.json",
    "confirmOrder": "ES2+ConfirmOrder-response.json",
    "cancelOrder": "ES2+HeaderOnly-response.json",
    "releaseProfile": "ES2+HeaderOnly-response.json",
}


def schema(name: str) -> dict[str, Any]:
    path = SCHEMAS / name
    assert path.exists(), f"the shared ES2+ schemas must be beside the project: {path}"
    return json.loads(path.read_text())


def call(
    client: Client,
    function: str,
    body: dict[str, Any],
    *,
    check_request: bool = True,
    version: str = "gsma/rsp/v2.5.0",
    call_id: str = "",
    authorization: str | None = None,
) -> dict[str, Any]:
    payload = {
        "header": {
            "functionRequesterIdentifier": "roamwise",
            "functionCallIdentifier": call_id or f"FCI-{function}-{uuid.uuid4().hex}",
        },
        **body,
    }
    if check_request:
        jsonschema.validate(payload, schema(REQUEST_SCHEMA[function]))
    response = client.post(
        f"/smdp/gsma/rsp2/es2plus/{function}",
        json.dumps(payload),
        content_type="application/json",
        headers={
            "X-Admin-Protocol": version,
            "Authorization": bearer() if authorization is None else authorization,
        },
    )
    assert response.status_code == 200  # SGP.22 §6.3, success or failure
    assert response["X-Admin-Protocol"].startswith("gsma/rsp/v2.")
    answer = response.json()
    # A failure carries the header only (SGP.22 §6.5.1.4); the function's own
    # output schema applies to successes.
    succeeded = answer["header"]["functionExecutionStatus"]["status"] == "Executed-Success"
    name = RESPONSE_SCHEMA[function] if succeeded else "ES2+HeaderOnly-response.json"
    jsonschema.validate(answer, schema(name))
    return answer


def bearer(requester: str = "roamwise") -> str:
    """The credential the simulator agreed with the operator (SMDP_OPERATOR_TOKENS)."""
    return f"Bearer {settings.SMDP_OPERATOR_TOKENS[requester]}"


def device(client: Client, matching_id: str, outcome: str = "installed") -> Any:
    # The notifications are queued once the download's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/smdp/device/download",
            json.dumps({"matchingId": matching_id, "eid": EID, "outcome": outcome}),
            content_type="application/json",
        )


def status(answer: dict[str, Any]) -> tuple[str, str, str]:
    execution = answer["header"]["functionExecutionStatus"]
    data = execution.get("statusCodeData", {})
    return execution["status"], data.get("subjectCode", ""), data.get("reasonCode", "")


@pytest.fixture
def inventory(db: None) -> list[str]:
    inventory_add(profile_type="roamwise-standard", count=3, operator="roamwise")
    inventory_add(profile_type="roamwise-unlimited", count=1, operator="roamwise", prefix="8944991")
    return list(SmdpProfile.objects.order_by("iccid").values_list("iccid", flat=True))


class Receiver:
    """The operator's side of HandleDownloadProgressInfo, on loopback."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.up = True
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not outer.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver(settings: object, jobs: object) -> Receiver:
    receiver = Receiver()
    settings.SMDP_OPERATORS = {"roamwise": receiver.url}  # type: ignore[attr-defined]
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_inventory_iccids_are_luhn_valid_19_digits(inventory: list[str]) -> None:
    assert luhn_digit("894701000012345678") == "4"  # SGP.22's example ICCID
    for iccid in inventory:
        assert len(iccid) == 19 and iccid.startswith("89")
        assert luhn_digit(iccid[:-1]) == iccid[-1]


@pytest.mark.commitment("SIM-01")
def test_download_confirm_release_then_device_install_notifies_the_operator(
    client: Client, inventory: list[str], receiver: Receiver
) -> None:
    ordered = call(client, "downloadOrder", {"profileType": "roamwise-standard"})
    assert status(ordered) == ("Executed-Success", "", "")
    iccid = ordered["iccid"]
    assert SmdpProfile.objects.get(iccid=iccid).state == ProfileState.ALLOCATED

    confirmed = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True})
    assert status(confirmed)[0] == "Executed-Success"
    assert confirmed["smdpAddress"] == "smdp.roamwise.example"
    assert SmdpProfile.objects.get(iccid=iccid).state == ProfileState.RELEASED

    installed = device(client, confirmed["matchingId"])
    run_jobs()

    assert installed.json() == {"iccid": iccid, "state": "Installed"}
    points = [n["body"]["notificationPointId"] for n in receiver.received]
    assert points == [3, 4]
    for notification in receiver.received:
        jsonschema.validate(notification["body"], schema("ES2+HandleDownloadProgressInfo-def.json"))
        assert notification["body"]["eid"] == EID
        assert notification["headers"]["X-Admin-Protocol"].startswith("gsma/rsp/v2.")


def test_a_padded_iccid_and_a_confirm_without_release(client: Client, inventory: list[str]) -> None:
    iccid = inventory[0]
    # The shared schema forgets SGP.22's optional 'F' pad, so this request is not checked.
    ordered = call(client, "downloadOrder", {"iccid": iccid + "F", "eid": EID}, check_request=False)
    confirmed = call(
        client, "confirmOrder", {"iccid": iccid, "releaseFlag": False, "matchingId": "MY-OWN-ID-1"}
    )
    released = call(client, "releaseProfile", {"iccid": iccid})
    again = call(client, "releaseProfile", {"iccid": iccid})

    assert ordered["iccid"] == iccid
    assert confirmed["matchingId"] == "MY-OWN-ID-1" and confirmed["eid"] == EID
    assert status(released)[0] == status(again)[0] == "Executed-Success"  # §5.3.4 idempotent
    assert SmdpProfile.objects.get(iccid=iccid).state == ProfileState.RELEASED


@pytest.mark.parametrize(
    "final,state",
    [("Available", ProfileState.AVAILABLE), ("Unavailable", ProfileState.UNAVAILABLE)],
)
def test_cancel_order_returns_or_retires_the_profile(
    client: Client, inventory: list[str], final: str, state: str
) -> None:
    iccid = call(client, "downloadOrder", {"profileType": "roamwise-standard"})["iccid"]
    matching = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True})["matchingId"]

    cancelled = call(
        client,
        "cancelOrder",
        {"iccid": iccid, "matchingId": matching, "finalProfileStatusIndicator": final},
    )

    assert status(cancelled)[0] == "Executed-Success"
    profile = SmdpProfile.objects.get(iccid=iccid)
    assert profile.state == state
    if final == "Available":
        assert profile.matching_id is None and profile.eid == ""


def test_spec_error_paths(client: Client, inventory: list[str]) -> None:
    unknown_iccid = call(client, "downloadOrder", {"iccid": "8944990000000009999"})
    unknown_type = call(client, "downloadOrder", {"profileType": "no-such-type"})
    mismatch = call(
        client, "downloadOrder", {"iccid": inventory[0], "profileType": "roamwise-unlimited"}
    )
    first = call(client, "downloadOrder", {"iccid": inventory[0], "eid": EID})
    in_use = call(client, "downloadOrder", {"iccid": inventory[0]})
    other_eid = call(
        client,
        "confirmOrder",
        {"iccid": inventory[0], "releaseFlag": True, "eid": "89086030202200000022000023022943"},
    )
    not_confirmed = call(client, "releaseProfile", {"iccid": inventory[1]})
    unlimited = call(client, "downloadOrder", {"profileType": "roamwise-unlimited"})
    exhausted = call(client, "downloadOrder", {"profileType": "roamwise-unlimited"})
    taken = call(
        client, "confirmOrder", {"iccid": inventory[0], "releaseFlag": True, "matchingId": "ABC-1"}
    )
    reused = call(
        client,
        "confirmOrder",
        {"iccid": unlimited["iccid"], "releaseFlag": True, "matchingId": "ABC-1"},
    )
    cancel_needs_eid = call(
        client,
        "cancelOrder",
        {"iccid": inventory[0], "matchingId": "ABC-1", "finalProfileStatusIndicator": "Available"},
    )

    assert status(first)[0] == "Executed-Success" and status(taken)[0] == "Executed-Success"
    assert status(unknown_iccid) == ("Failed", "8.2.1", "3.9")
    assert status(unknown_type) == ("Failed", "8.2.5", "3.9")
    assert status(mismatch) == ("Failed", "8.2.5", "3.8")
    assert status(in_use) == ("Failed", "8.2.1", "3.3")
    assert status(other_eid) == ("Failed", "8.1.1", "3.10")
    assert status(not_confirmed) == ("Failed", "8.2.1", "3.5")
    assert status(exhausted) == ("Failed", "8.2.5", "3.7")
    assert status(reused) == ("Failed", "8.2.6", "3.3")
    assert status(cancel_needs_eid) == ("Failed", "8.1.1", "2.2")


def test_cancel_after_download_is_refused(
    client: Client, inventory: list[str], receiver: Receiver
) -> None:
    iccid = call(client, "downloadOrder", {"profileType": "roamwise-standard"})["iccid"]
    matching = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True})["matchingId"]
    device(client, matching)

    refused = call(
        client,
        "cancelOrder",
        {
            "iccid": iccid,
            "eid": EID,
            "matchingId": matching,
            "finalProfileStatusIndicator": "Available",
        },
    )

    assert status(refused) == ("Failed", "8.2.1", "3.3")


@pytest.mark.parametrize(
    "headers,body,expected",
    [
        ({"X-Admin-Protocol": "gsma/rsp/v3.0.0"}, {"profileType": "x"}, ("1.3.2", "2.1")),
        ({}, {"profileType": "x"}, ("1.3.2", "2.1")),
        ({"X-Admin-Protocol": "gsma/rsp/v2.1.0"}, "not json", ("1.3.1", "2.1")),
        ({"X-Admin-Protocol": "gsma/rsp/v2.1.0"}, [], ("1.3.1", "2.1")),
        (
            {"X-Admin-Protocol": "gsma/rsp/v2.1.0"},
            {"profileType": "x", "header": {}},
            ("1.3.1", "2.2"),
        ),
        (
            {"X-Admin-Protocol": "gsma/rsp/v2.1.0"},
            {
                "header": {"functionRequesterIdentifier": "evil", "functionCallIdentifier": "1"},
                "profileType": "x",
            },
            ("1.1", "1.1"),
        ),
        (
            {"X-Admin-Protocol": "gsma/rsp/v2.1.0"},
            {
                "header": {
                    "functionRequesterIdentifier": "roamwise",
                    "functionCallIdentifier": "1",
                },
                "eid": 42,
                "profileType": "x",
            },
            ("1.3.1", "2.1"),
        ),
    ],
)
def test_bad_requests_fail_in_the_header_never_with_a_5xx(
    client: Client, inventory: list[str], headers: dict, body: Any, expected: tuple[str, str]
) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        "/smdp/gsma/rsp2/es2plus/downloadOrder",
        raw,
        content_type="application/json",
        headers={**headers, "Authorization": bearer()},
    )

    assert response.status_code == 200
    answer = response.json()
    jsonschema.validate(answer, schema("ES2+HeaderOnly-response.json"))
    assert status(answer) == ("Failed", *expected)
    assert not SmdpProfile.objects.exclude(state="Available").exists()


def test_failed_installs_and_rejections_are_notified_as_failures(
    client: Client, inventory: list[str], receiver: Receiver
) -> None:
    outcomes = {}
    for outcome in ("failed", "rejected"):
        iccid = call(client, "downloadOrder", {"profileType": "roamwise-standard"})["iccid"]
        matching = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True})["matchingId"]
        device(client, matching, outcome)
        outcomes[outcome] = iccid
    run_jobs()

    by_iccid = {}
    for note in receiver.received:
        by_iccid.setdefault(note["body"]["iccid"], []).append(note["body"])
    failed, rejected = by_iccid[outcomes["failed"]], by_iccid[outcomes["rejected"]]
    assert [n["notificationPointStatus"]["status"] for n in failed] == [
        "Executed-Success",
        "Failed",
    ]
    assert failed[1]["notificationPointStatus"]["statusCodeData"]["subjectCode"] == "8.2.10"
    assert rejected[0]["notificationPointStatus"]["statusCodeData"]["reasonCode"] == "3.8"
    assert SmdpProfile.objects.get(iccid=outcomes["failed"]).state == ProfileState.ERROR


def test_notifications_are_retried_until_the_operator_answers(
    client: Client, inventory: list[str], receiver: Receiver
) -> None:
    from roamwise.smdp.tasks import deliver_notification

    receiver.up = False
    iccid = call(client, "downloadOrder", {"profileType": "roamwise-standard"})["iccid"]
    matching = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True})["matchingId"]
    device(client, matching)
    first = ProgressNotification.objects.order_by("pk").first()
    deliver_notification.call_local(first.pk)
    first.refresh_from_db()
    assert first.delivered_at is None and first.attempts == 1 and "503" in first.last_error

    receiver.up = True
    run_jobs()  # the scheduled retries

    assert ProgressNotification.objects.filter(delivered_at__isnull=True).count() == 0
    assert len(receiver.received) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_never_get_the_same_profile(live_server: object) -> None:
    inventory_add(profile_type="roamwise-standard", count=12, operator="roamwise")
    url = f"{live_server.url}/smdp/gsma/rsp2/es2plus/downloadOrder"  # type: ignore[attr-defined]
    start = threading.Barrier(20)
    answers: list[dict[str, Any]] = []

    def order(n: int) -> None:
        start.wait()
        response = requests.post(
            url,
            timeout=30,
            headers={"X-Admin-Protocol": "gsma/rsp/v2.2.0", "Authorization": bearer()},
            json={
                "header": {
                    "functionRequesterIdentifier": "roamwise",
                    "functionCallIdentifier": f"c{n}",
                },
                "profileType": "roamwise-standard",
            },
        )
        answers.append(response.json())

    threads = [threading.Thread(target=order, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    iccids = [a["iccid"] for a in answers if status(a)[0] == "Executed-Success"]
    exhausted = [a for a in answers if status(a) == ("Failed", "8.2.5", "3.7")]
    assert len(iccids) == 12 and len(set(iccids)) == 12
    assert len(exhausted) == 8

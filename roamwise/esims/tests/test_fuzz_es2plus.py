"""ES2+ under fuzzing (ADR 0017): what the SM-DP+ sends us, both ways.

- Notifications it posts (HandleDownloadProgressInfo): any signed body gets
  204 or a clean 4xx with a JSON message, never a 5xx; odd but valid ones
  (unicode, huge numbers, optional fields missing, keys repeated) are applied.
- Answers to our calls: whatever comes back, the client returns a well-formed
  result or raises a typed ``Es2Error`` that says whether to retry; nothing
  else escapes into the provisioning job.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from roamwise.catalog.models import Plan
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, signature_header
from roamwise.core.tests.fuzzing import HUGE_NUMBERS, json_bodies, json_values, maybe, odd_text
from roamwise.esims.es2plus import Es2Error, Es2PlusClient, ProfileStatus, new_call_id
from roamwise.esims.models import Esim, EsimState, ProgressReport
from roamwise.orders.services import order_create
from roamwise.testing.lines import EID
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING

URL = "/esims/es2plus/handleDownloadProgressInfo"
ICCID = "8944990000000000018"
ICCID_SHAPE = re.compile(r"[0-9]{19,20}")


@pytest.fixture
def ready_esim(catalog: None) -> Esim:
    """An eSIM released by the SM-DP+ and waiting for the phone."""
    customer = make_customer("fuzztraveller")
    plan = Plan.objects.get(destination__code="FR", data_mb=5120)
    order = order_create(customer=customer, plan=plan, billing=BILLING)
    return Esim.objects.create(
        customer=customer,
        order=order,
        profile_type=plan.profile_type,
        matching_id="ABCDE-12345-ABCDE-12345",
        iccid=ICCID,
        state=EsimState.READY,
        smdp_address="smdp.roamwise.example",
    )


# --- Notifications from the SM-DP+ ----------------------------------------------------

status_code_data = st.fixed_dictionaries(
    {"subjectCode": maybe(odd_text), "reasonCode": maybe(odd_text)},
    optional={"message": maybe(odd_text), "subjectIdentifier": maybe(odd_text)},
)
notification = st.fixed_dictionaries(
    {
        "header": maybe(
            st.fixed_dictionaries(
                {
                    "functionRequesterIdentifier": maybe(odd_text),
                    "functionCallIdentifier": maybe(st.uuids().map(str) | odd_text),
                }
            )
        ),
        "iccid": maybe(st.sampled_from([ICCID, ICCID + "F", ICCID + "\n", "8944990000000000026"])),
        "profileType": maybe(odd_text),
        "timestamp": maybe(st.just("2026-11-21T12:00:00Z") | odd_text),
        "notificationPointId": maybe(st.integers(1, 4) | HUGE_NUMBERS | st.integers()),
        "notificationPointStatus": maybe(
            st.fixed_dictionaries(
                {
                    "status": maybe(
                        st.sampled_from(["Executed-Success", "Executed-WithWarning", "Failed"])
                    )
                },
                optional={"statusCodeData": maybe(status_code_data)},
            )
        ),
    },
    optional={
        "eid": maybe(st.just(EID) | st.from_regex(r"\A[0-9]{32}\n?\Z")),
        "tac": maybe(odd_text),
        "resultData": maybe(odd_text),
    },
)


def valid_notification(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "header": {"functionRequesterIdentifier": "smdp.example", "functionCallIdentifier": "c1"},
        "iccid": ICCID,
        "profileType": "roamwise-standard",
        "timestamp": "2026-11-21T12:00:00Z",
        "notificationPointId": 4,
        "notificationPointStatus": {"status": "Executed-Success"},
    }
    body.update(changes)
    return body


def as_body(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def post_notification(client: Client, body: bytes) -> Any:
    return client.post(
        URL,
        body,
        content_type="application/json",
        headers={
            ES2_NOTIFICATION_HEADER: signature_header(body, settings.ES2PLUS_NOTIFICATION_SECRET),
            "X-Admin-Protocol": "gsma/rsp/v2.2.0",
        },
    )


@pytest.mark.commitment("SIM-01")
@given(body=json_bodies(notification))
@example(body=b"[" * 50_000 + b"]" * 50_000)
@example(body=as_body(valid_notification(header={"functionRequesterIdentifier": "s",
                                                  "functionCallIdentifier": "c\x00"})))  # fmt: skip
@example(body=as_body(valid_notification(header={"functionRequesterIdentifier": "\ud800",
                                                  "functionCallIdentifier": "c2"})))  # fmt: skip
@example(body=as_body(valid_notification(notificationPointStatus={
    "status": "Failed", "statusCodeData": {"subjectCode": "8.2\x00", "reasonCode": "4.2",
                                           "message": "\udfff"}})))  # fmt: skip
@example(body=as_body(valid_notification(notificationPointStatus={"status": "Failed\x00"})))
@example(body=as_body(valid_notification(notificationPointId=4.0)))
@example(body=as_body(valid_notification(notificationPointId=10**30)))
@example(body=as_body(valid_notification(iccid=ICCID + "\n")))
@example(body=as_body(valid_notification(eid=EID + "\n")))
def test_no_notification_body_gives_a_5xx(client: Client, ready_esim: Esim, body: bytes) -> None:
    reports = ProgressReport.objects.count()

    response = post_notification(client, body)

    assert response.status_code in (204, 400, 404, 409), (response.status_code, response.content)
    if response.status_code == 204:
        assert response.content == b""
    else:
        assert response.json()["message"]
        assert ProgressReport.objects.count() == reports


@pytest.mark.commitment("SIM-01")
@given(
    requester=odd_text,
    message=odd_text,
    profile_type=odd_text,
    padded=st.booleans(),
    with_eid=st.booleans(),
    repeat_key=st.booleans(),
)
@example(
    requester="\x00", message="\ud800", profile_type="日本", padded=True, with_eid=False,
    repeat_key=True,
)  # fmt: skip
def test_odd_but_valid_notifications_install_the_esim(
    client: Client,
    ready_esim: Esim,
    requester: str,
    message: str,
    profile_type: str,
    padded: bool,
    with_eid: bool,
    repeat_key: bool,
) -> None:
    ready_esim.state, ready_esim.eid = EsimState.READY, ""
    ready_esim.save(update_fields=["state", "eid"])
    call_id = new_call_id()
    value = valid_notification(
        header={"functionRequesterIdentifier": requester, "functionCallIdentifier": call_id},
        iccid=ICCID + "F" if padded else ICCID,
        profileType=profile_type,
        notificationPointStatus={
            "status": "Executed-WithWarning",
            "statusCodeData": {"subjectCode": "8.1", "reasonCode": "1.1", "message": message},
        },
    )
    if with_eid:
        value["eid"] = EID
    body = as_body(value)
    if repeat_key:  # a repeated key: the last one counts
        body = body[:-1] + b', "notificationPointId": 4}'

    response = post_notification(client, body)

    assert response.status_code == 204, response.content
    ready_esim.refresh_from_db()
    assert ready_esim.state == EsimState.INSTALLED
    assert ready_esim.eid == (EID if with_eid else "")
    report = ProgressReport.objects.get(call_id=call_id)
    assert "\x00" not in report.requester and report.point == 4
    # The same notification again is acknowledged and changes nothing.
    again = post_notification(client, body)
    assert again.status_code == 204
    assert ProgressReport.objects.filter(call_id=call_id).count() == 1


# --- Answers to our calls ------------------------------------------------------------


class Answering:
    """An SM-DP+ stand-in on loopback that answers each call with the test's bytes."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {}
        self.body = b""
        answering = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(answering.status)
                for name, value in answering.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answering.body)))
                self.end_headers()
                self.wfile.write(answering.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def answering() -> Iterator[Answering]:
    server = Answering()
    yield server
    server.close()


execution_status = st.fixed_dictionaries(
    {"status": maybe(st.sampled_from(["Executed-Success", "Executed-WithWarning", "Failed",
                                      "Expired"]))},
    optional={"statusCodeData": maybe(status_code_data)},
)  # fmt: skip
answer = st.fixed_dictionaries(
    {"header": maybe(st.fixed_dictionaries({"functionExecutionStatus": maybe(execution_status)}))},
    optional={
        "iccid": maybe(st.sampled_from([ICCID, ICCID + "0", ICCID + "\n"]) | odd_text),
        "matchingId": maybe(odd_text),
        "smdpAddress": maybe(st.just("smdp.example") | odd_text),
        "eid": maybe(st.just(EID) | odd_text),
        "profileStatusList": maybe(
            st.lists(
                maybe(
                    st.fixed_dictionaries(
                        {"iccid": maybe(st.just(ICCID) | odd_text)},
                        optional={
                            "state": maybe(st.sampled_from(["Allocated", "Released"]) | odd_text),
                            "acToken": maybe(odd_text),
                            "eid": maybe(odd_text),
                        },
                    )
                ),
                max_size=3,
            )
        ),
    },
)
FUNCTIONS = ["downloadOrder", "confirmOrder", "getProfileStatus", "cancelOrder"]


def _success(**fields: Any) -> bytes:
    return json.dumps(
        {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}, **fields}
    ).encode()


def _call(client: Es2PlusClient, function: str) -> object:
    call_id = new_call_id()
    if function == "downloadOrder":
        return client.download_order(profile_type="roamwise-standard", call_id=call_id)
    if function == "confirmOrder":
        return client.confirm_order(iccid=ICCID, matching_id="ABCDE-12345", call_id=call_id)
    if function == "getProfileStatus":
        return client.profile_status(call_id=call_id, iccid=ICCID)
    return client.cancel_order(
        iccid=ICCID, matching_id="", eid="", final_status="Available", call_id=call_id
    )


@pytest.mark.commitment("SIM-01")
@given(
    function=st.sampled_from(FUNCTIONS),
    status=st.sampled_from([200, 200, 200, 204, 301, 404, 500, 503]),
    version=st.sampled_from(["gsma/rsp/v2.2.0", "gsma/rsp/v2.1.0", "gsma/rsp/v3.0", ""]),
    body=json_bodies(answer) | json_values.map(lambda v: json.dumps(v).encode()),
)
@example(function="downloadOrder", status=200, version="gsma/rsp/v2.2.0",
         body=_success(iccid=ICCID + "\n"))  # fmt: skip
@example(function="downloadOrder", status=200, version="gsma/rsp/v2.2.0",
         body=b'{"header": {"functionExecutionStatus": {"status": "Executed-Success"}},'
              b' "iccid": "' + ICCID.encode() + b'", "iccid": 7}')  # fmt: skip
@example(function="confirmOrder", status=200, version="gsma/rsp/v2.2.0",
         body=_success(smdpAddress="s" * 400))  # fmt: skip
@example(function="confirmOrder", status=200, version="gsma/rsp/v2.2.0",
         body=_success(smdpAddress="smdp.\x00example", matchingId="\ud800"))  # fmt: skip
@example(function="getProfileStatus", status=200, version="gsma/rsp/v2.2.0",
         body=_success(profileStatusList=[{"iccid": "not one", "state": "Released"}]))  # fmt: skip
@example(function="getProfileStatus", status=200, version="gsma/rsp/v2.2.0",
         body=_success(profileStatusList=[{"iccid": ICCID, "state": ["Released"]}]))  # fmt: skip
@example(function="cancelOrder", status=200, version="gsma/rsp/v2.2.0",
         body=json.dumps({"header": {"functionExecutionStatus": {
             "status": "Failed", "statusCodeData": ["8.2.1", "3.3"]}}}).encode())  # fmt: skip
@example(function="cancelOrder", status=200, version="gsma/rsp/v2.2.0",
         body=b'{"header": {"functionExecutionStatus": {"status": "Failed"}}, "x": '
              + b"[" * 50_000 + b"]" * 50_000 + b"}")  # fmt: skip
def test_any_answer_is_a_result_or_a_typed_error(
    answering: Answering, function: str, status: int, version: str, body: bytes
) -> None:
    answering.status = status
    answering.headers = {"Content-Type": "application/json"}
    if version:
        answering.headers["X-Admin-Protocol"] = version
    answering.body = body
    client = Es2PlusClient(base_url=answering.url, requester_id="roamwise", timeout=5)

    try:
        result = _call(client, function)
    except Es2Error as error:
        assert error.message
        assert isinstance(error.retryable, bool)
        return
    if function == "downloadOrder":
        assert isinstance(result, str) and ICCID_SHAPE.fullmatch(result)
    elif function == "confirmOrder":
        assert isinstance(result, tuple)
        matching_id, address = result
        assert matching_id.isprintable() and address.isprintable() and len(address) <= 255
    elif function == "getProfileStatus":
        assert result is None or isinstance(result, ProfileStatus)
        if isinstance(result, ProfileStatus):
            assert ICCID_SHAPE.fullmatch(result.iccid)
            assert all(isinstance(v, str) and v.isprintable() for v in vars(result).values())
    else:
        assert result is None

"""The SM-DP+ stand-in trusts only its operators (SGP.22 §6.1.1), answers a
repeated call once, and lets a profile be downloaded once, by a real EID."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.smdp.services import inventory_add
from roamwise.testing.lines import EID

pytestmark = pytest.mark.usefixtures("stand_ins")

BAD_CHECK_DIGITS = "89049032123451234512345678901234"
STATUS_CALL = {"iccidList": [{"iccid": "8944990000000000018"}]}
BODIES: dict[str, dict[str, Any]] = {
    "downloadOrder": {"profileType": "roamwise-standard"},
    "confirmOrder": {"iccid": "8944990000000000018", "releaseFlag": True},
    "cancelOrder": {"iccid": "8944990000000000018", "finalProfileStatusIndicator": "Available"},
    "releaseProfile": {"iccid": "8944990000000000018"},
    "getProfileStatus": STATUS_CALL,
}


@pytest.fixture
def operators(settings: Any, db: None) -> dict[str, str]:
    """Two operators of the stand-in, each with its own agreed secret."""
    settings.SMDP_OPERATORS = {"roamwise": "http://127.0.0.1:9/n", "other": "http://127.0.0.1:9/n"}
    settings.SMDP_OPERATOR_TOKENS = {"roamwise": "secret-of-roamwise", "other": "secret-of-other"}
    inventory_add(profile_type="roamwise-standard", count=3, operator="roamwise")
    return settings.SMDP_OPERATOR_TOKENS  # type: ignore[no-any-return]


def call(
    client: Client,
    function: str,
    body: dict[str, Any],
    *,
    token: str | None,
    requester: str = "roamwise",
    call_id: str = "",
) -> dict[str, Any]:
    headers = {"X-Admin-Protocol": "gsma/rsp/v2.2.0"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    header = {
        "functionRequesterIdentifier": requester,
        "functionCallIdentifier": call_id or uuid.uuid4().hex,
    }
    response = client.post(
        f"/smdp/gsma/rsp2/es2plus/{function}",
        json.dumps({"header": header, **body}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200  # SGP.22 §6.3: the outcome is in the header
    return dict(response.json())


def outcome(answer: dict[str, Any]) -> tuple[str, str, str]:
    status = answer["header"]["functionExecutionStatus"]
    data = status.get("statusCodeData", {})
    return status["status"], data.get("subjectCode", ""), data.get("reasonCode", "")


def untouched() -> bool:
    return not SmdpProfile.objects.exclude(state=ProfileState.AVAILABLE).exists()


@pytest.mark.commitment("SEC-03")
@pytest.mark.parametrize("function", sorted(BODIES))
@pytest.mark.parametrize(
    ("token", "requester"),
    [
        (None, "roamwise"),
        ("guessed", "roamwise"),
        ("", "roamwise"),
        ("secret-of-other", "roamwise"),
    ],
    ids=["none", "wrong", "empty", "another-operators"],
)
def test_a_caller_without_the_operators_credentials_is_refused(
    client: Client, operators: dict[str, str], function: str, token: str | None, requester: str
) -> None:
    answer = call(client, function, BODIES[function], token=token, requester=requester)

    # §5.2.6: subject 1.1 Function Requester, reason 1.1 Unknown (authentication).
    assert outcome(answer) == ("Failed", "1.1", "1.1")
    assert set(answer) == {"header"}  # nothing about any profile
    assert untouched()


@pytest.mark.commitment("SEC-03")
def test_the_operators_credential_opens_its_own_functions_only(
    client: Client, operators: dict[str, str]
) -> None:
    ordered = call(client, "downloadOrder", BODIES["downloadOrder"], token=operators["roamwise"])
    as_other = call(
        client, "getProfileStatus", STATUS_CALL, token=operators["other"], requester="other"
    )

    assert outcome(ordered)[0] == "Executed-Success"
    assert outcome(as_other)[0] == "Executed-Success"
    assert as_other["profileStatusList"] == []  # roamwise's profiles are not other's to see


@pytest.mark.commitment("SIM-01")
def test_the_same_call_twice_reserves_one_profile_and_answers_the_same(
    client: Client, operators: dict[str, str]
) -> None:
    token = operators["roamwise"]
    first = call(client, "downloadOrder", BODIES["downloadOrder"], token=token, call_id="c-1")
    again = call(client, "downloadOrder", BODIES["downloadOrder"], token=token, call_id="c-1")
    reused = call(
        client, "downloadOrder", {"profileType": "roamwise-other"}, token=token, call_id="c-1"
    )
    # Another requester may choose the same identifier: its calls are its own.
    theirs = call(
        client,
        "downloadOrder",
        BODIES["downloadOrder"],
        token=operators["other"],
        requester="other",
        call_id="c-1",
    )

    assert first == again and outcome(first)[0] == "Executed-Success"
    assert SmdpProfile.objects.exclude(state=ProfileState.AVAILABLE).count() == 1
    assert outcome(reused) == ("Failed", "1.3.1", "3.3")
    assert outcome(theirs) == ("Failed", "8.2.5", "3.9")  # no profiles of that type for other


@pytest.mark.commitment("SIM-01")
def test_an_smds_address_needs_the_eid(client: Client, operators: dict[str, str]) -> None:
    token = operators["roamwise"]
    iccid = call(client, "downloadOrder", BODIES["downloadOrder"], token=token)["iccid"]
    confirm = {"iccid": iccid, "releaseFlag": True, "smdsAddress": "smds.example.com"}

    without = call(client, "confirmOrder", confirm, token=token)
    with_eid = call(client, "confirmOrder", confirm | {"eid": EID}, token=token)

    assert outcome(without) == ("Failed", "8.1.1", "2.2")  # §5.3.2: EID missing
    assert outcome(with_eid)[0] == "Executed-Success" and with_eid["eid"] == EID


def released(client: Client, token: str) -> tuple[str, str]:
    iccid = call(client, "downloadOrder", BODIES["downloadOrder"], token=token)["iccid"]
    confirmed = call(client, "confirmOrder", {"iccid": iccid, "releaseFlag": True}, token=token)
    return iccid, confirmed["matchingId"]


def download(client: Client, matching_id: str, eid: str = EID) -> Any:
    return client.post(
        "/smdp/device/download",
        json.dumps({"matchingId": matching_id, "eid": eid}),
        content_type="application/json",
    )


@pytest.mark.commitment("SIM-01")
def test_a_profile_is_downloaded_once_by_a_valid_eid(
    client: Client, operators: dict[str, str], settings: Any
) -> None:
    settings.SMDP_OPERATORS = {"roamwise": ""}  # no notifications to deliver in this test
    token = operators["roamwise"]
    reserved_only = call(client, "downloadOrder", BODIES["downloadOrder"], token=token)["iccid"]
    iccid, matching_id = released(client, token)

    bad_eid = download(client, matching_id, BAD_CHECK_DIGITS)
    not_digits = download(client, matching_id, "8904903212345123451234567890123X")
    first = download(client, matching_id)
    second = download(client, matching_id)

    assert bad_eid.status_code == not_digits.status_code == 400
    assert "EID" in bad_eid.json()["error"]
    assert (first.status_code, first.json()["state"]) == (200, "Installed")
    assert second.status_code == 409
    profile = SmdpProfile.objects.get(iccid=iccid)
    assert (profile.state, profile.download_attempts) == (ProfileState.INSTALLED, 1)
    # A profile that was never released has no activation code to download with.
    assert SmdpProfile.objects.get(iccid=reserved_only).matching_id is None
    with pytest.raises(CommandError, match="no profile is ready"):
        call_command("smdp_device", matching_id)
    with pytest.raises(CommandError, match="EID"):
        call_command("smdp_device", "ANY", "--eid", BAD_CHECK_DIGITS)

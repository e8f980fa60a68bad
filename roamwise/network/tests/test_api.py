"""The network partner simulator's API: Bearer key, idempotent line changes and
bundles, conflicts as 409, and bad input as 400, never a 5xx."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from roamwise.network.models import NetworkBundle, NetworkSubscription, SubscriptionState
from roamwise.network.tests.helpers import auth, make_iccid, post

# The stand-in under test, mounted in the site under test (ADR 0018).
pytestmark = pytest.mark.usefixtures("stand_ins")

ICCID = make_iccid(1)
OTHER = make_iccid(2)
BUNDLE = {"reference": "topup-1", "data_mb": 1024, "validity_days": 30, "coverage": ["FR"]}


def test_make_iccid_gives_known_valid_iccids() -> None:
    # SGP.22's example ICCID, 894701000012345678 with its check digit 4.
    assert make_iccid(12345678, prefix="894701") == "8947010000123456784"


# --- Lines: suspend, resume, terminate -----------------------------------------


def test_first_contact_creates_an_active_line_and_suspends_it(client: Client, db: None) -> None:
    response = post(client, f"{ICCID}/suspend")

    assert response.status_code == 200
    assert response.json() == {"iccid": ICCID, "state": "suspended"}
    line = NetworkSubscription.objects.get()
    assert (line.iccid, line.state) == (ICCID, SubscriptionState.SUSPENDED)
    assert line.updated_at >= line.created_at


def test_suspend_resume_terminate(client: Client, db: None) -> None:
    states = [post(client, f"{ICCID}/{action}").json()["state"] for action in ("suspend", "resume")]
    terminated = post(client, f"{ICCID}/terminate")

    assert states == ["suspended", "active"]
    assert terminated.status_code == 200
    assert terminated.json() == {"iccid": ICCID, "state": "terminated"}
    assert NetworkSubscription.objects.get(iccid=ICCID).state == SubscriptionState.TERMINATED


@pytest.mark.parametrize(
    "action,state",
    [("suspend", "suspended"), ("resume", "active"), ("terminate", "terminated")],
)
def test_repeating_a_change_answers_the_same_state(
    client: Client, db: None, action: str, state: str
) -> None:
    first = post(client, f"{ICCID}/{action}")
    updated_at = NetworkSubscription.objects.get().updated_at
    again = post(client, f"{ICCID}/{action}")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"iccid": ICCID, "state": state}
    assert NetworkSubscription.objects.count() == 1
    assert NetworkSubscription.objects.get().updated_at == updated_at  # nothing changed


def test_a_padded_iccid_is_the_same_line(client: Client, db: None) -> None:
    post(client, f"{ICCID}/suspend")

    padded = post(client, f"{ICCID}F/resume")
    shown = client.get(f"/network/api/v1/subscriptions/{ICCID}F", headers=auth())

    assert padded.json() == {"iccid": ICCID, "state": "active"}
    assert shown.json()["iccid"] == ICCID
    assert NetworkSubscription.objects.count() == 1


@pytest.mark.parametrize("action,done", [("suspend", "suspended"), ("resume", "resumed")])
def test_a_terminated_line_cannot_come_back(
    client: Client, db: None, action: str, done: str
) -> None:
    post(client, f"{ICCID}/terminate")

    response = post(client, f"{ICCID}/{action}")

    assert response.status_code == 409
    assert response.json() == {"error": f"This line is terminated; it cannot be {done}."}
    assert NetworkSubscription.objects.get().state == SubscriptionState.TERMINATED


def test_terminating_a_suspended_line(client: Client, db: None) -> None:
    post(client, f"{ICCID}/suspend")

    response = post(client, f"{ICCID}/terminate")

    assert response.json() == {"iccid": ICCID, "state": "terminated"}


# --- Bundles ---------------------------------------------------------------------


def test_adding_a_bundle_then_the_same_again(client: Client, db: None) -> None:
    created = post(client, f"{ICCID}/bundles", BUNDLE)
    repeated = post(client, f"{ICCID}/bundles", BUNDLE)

    assert created.status_code == 201
    assert repeated.status_code == 200
    assert created.json() == repeated.json()
    bundle = NetworkBundle.objects.get()
    assert created.json() == {**BUNDLE, "added_at": bundle.added_at.isoformat()}
    assert bundle.subscription.iccid == ICCID


def test_an_unlimited_bundle_on_a_suspended_line(client: Client, db: None) -> None:
    post(client, f"{ICCID}/suspend")

    response = post(client, f"{ICCID}/bundles", {**BUNDLE, "data_mb": None})

    assert response.status_code == 201
    assert response.json()["data_mb"] is None
    assert NetworkBundle.objects.get().data_mb is None


@pytest.mark.parametrize(
    "iccid,change",
    [
        (ICCID, {"data_mb": 2048}),
        (ICCID, {"data_mb": None}),
        (ICCID, {"validity_days": 7}),
        (OTHER, {}),
    ],
)
def test_a_reference_reused_for_something_else_is_a_conflict(
    client: Client, db: None, iccid: str, change: dict[str, Any]
) -> None:
    post(client, f"{ICCID}/bundles", BUNDLE)

    response = post(client, f"{iccid}/bundles", {**BUNDLE, **change})

    assert response.status_code == 409
    assert response.json() == {"error": "This reference was already used for a different bundle."}
    bundle = NetworkBundle.objects.get()
    assert (bundle.subscription.iccid, bundle.data_mb, bundle.validity_days) == (ICCID, 1024, 30)


def test_no_bundle_on_a_terminated_line(client: Client, db: None) -> None:
    post(client, f"{ICCID}/terminate")

    response = post(client, f"{ICCID}/bundles", BUNDLE)

    assert response.status_code == 409
    assert response.json() == {"error": "This line is terminated; no bundle can be added to it."}
    assert not NetworkBundle.objects.exists()


def test_a_repeated_bundle_after_termination_is_still_the_same_bundle(
    client: Client, db: None
) -> None:
    first = post(client, f"{ICCID}/bundles", BUNDLE)
    post(client, f"{ICCID}/terminate")

    again = post(client, f"{ICCID}/bundles", BUNDLE)

    assert again.status_code == 200
    assert again.json() == first.json()


def test_showing_a_line_with_its_bundles(client: Client, db: None) -> None:
    post(client, f"{ICCID}/bundles", BUNDLE)
    post(client, f"{ICCID}/bundles", {"reference": "topup-2", "data_mb": None, "validity_days": 1})
    post(client, f"{ICCID}/suspend")
    post(client, f"{OTHER}/bundles", {**BUNDLE, "reference": "other"})

    response = client.get(f"/network/api/v1/subscriptions/{ICCID}", headers=auth())

    assert response.status_code == 200
    body = response.json()
    assert (body["iccid"], body["state"]) == (ICCID, "suspended")
    assert [(b["reference"], b["data_mb"], b["validity_days"]) for b in body["bundles"]] == [
        ("topup-1", 1024, 30),
        ("topup-2", None, 1),
    ]


def test_an_unknown_line_is_404_and_is_not_created(client: Client, db: None) -> None:
    response = client.get(f"/network/api/v1/subscriptions/{ICCID}", headers=auth())

    assert response.status_code == 404
    assert response.json() == {"error": "The network does not know this ICCID."}
    assert not NetworkSubscription.objects.exists()


# --- The key and the methods -------------------------------------------------------

ENDPOINTS = [
    ("post", f"{ICCID}/suspend"),
    ("post", f"{ICCID}/resume"),
    ("post", f"{ICCID}/terminate"),
    ("post", f"{ICCID}/bundles"),
    ("get", ICCID),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer \u00e9t\u00e9"},
    ],
    ids=["none", "wrong", "empty", "basic", "non-ascii"],
)
def test_every_endpoint_needs_the_key(
    client: Client, db: None, method: str, path: str, headers: dict[str, str]
) -> None:
    url = f"/network/api/v1/subscriptions/{path}"
    if method == "post":
        response = client.post(url, json.dumps(BUNDLE), "application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "Bad or missing API key."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not NetworkSubscription.objects.exists()
    assert not NetworkBundle.objects.exists()


def test_the_key_of_another_system_is_refused(client: Client, db: None) -> None:
    response = post(client, f"{ICCID}/suspend", headers=auth(settings.GATEWAY_SECRET_KEY))

    assert response.status_code == 401
    assert not NetworkSubscription.objects.exists()


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", f"{ICCID}/suspend"),
        ("put", f"{ICCID}/resume"),
        ("delete", f"{ICCID}/terminate"),
        ("get", f"{ICCID}/bundles"),
        ("post", ICCID),
        ("delete", ICCID),
    ],
)
def test_other_methods_are_405(client: Client, db: None, method: str, path: str) -> None:
    response = getattr(client, method)(f"/network/api/v1/subscriptions/{path}", headers=auth())

    assert response.status_code == 405
    assert not NetworkSubscription.objects.exists()


# --- Bad input is a clear 400 ------------------------------------------------------

BAD_ICCIDS = {
    "short": ICCID[:-1],
    "long": ICCID + "0",
    "check digit": ICCID[:-1] + str((int(ICCID[-1]) + 1) % 10),
    "letters": "89449900000000000AB",
    "lower-case pad": ICCID + "f",
    "pad on 18 digits": ICCID[:-1] + "F",
    "arabic-indic digits": "\u0668\u0669" + ICCID[2:],
    "spaces": " " + ICCID[1:],
    "empty-ish": "F",
}


@pytest.mark.parametrize("iccid", BAD_ICCIDS.values(), ids=BAD_ICCIDS.keys())
@pytest.mark.parametrize("action", ["suspend", "resume", "terminate", "bundles", ""])
def test_bad_iccids_are_400(client: Client, db: None, iccid: str, action: str) -> None:
    path = f"{quote(iccid, safe='')}/{action}".rstrip("/")
    if action:
        response = post(client, path, BUNDLE)
    else:
        response = client.get(f"/network/api/v1/subscriptions/{path}", headers=auth())

    assert response.status_code == 400
    assert "ICCID" in response.json()["error"]
    assert not NetworkSubscription.objects.exists()


BAD_BODIES: dict[str, tuple[bytes | str, str]] = {
    "empty": (b"", "The body must be a JSON object."),
    "not json": (b"{nope", "The body must be a JSON object."),
    "not utf-8": (b'{"reference": "\xc3\x28"}', "The body must be a JSON object."),
    "a list": (b"[]", "The body must be a JSON object."),
    "a string": (b'"x"', "The body must be a JSON object."),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "The body must be a JSON object."),
    "no reference": (
        json.dumps({"data_mb": 1, "validity_days": 1}),
        "reference must be a string.",
    ),
    "reference a number": (
        json.dumps({**BUNDLE, "reference": 7}),
        "reference must be a string.",
    ),
    "empty reference": (json.dumps({**BUNDLE, "reference": ""}), "reference must be 1 to 64"),
    "long reference": (json.dumps({**BUNDLE, "reference": "r" * 65}), "reference must be 1 to 64"),
    "reference with a NUL": (
        json.dumps({**BUNDLE, "reference": "a\u0000b"}),
        "reference must be 1 to 64",
    ),
    "reference with a space": (
        json.dumps({**BUNDLE, "reference": "a b"}),
        "reference must be 1 to 64",
    ),
    "no data_mb": (
        json.dumps({"reference": "r", "validity_days": 1}),
        "data_mb is missing; give null for an unlimited bundle.",
    ),
    "data_mb zero": (json.dumps({**BUNDLE, "data_mb": 0}), "data_mb must be between 1 and"),
    "data_mb negative": (json.dumps({**BUNDLE, "data_mb": -5}), "data_mb must be between 1 and"),
    "data_mb huge": (json.dumps({**BUNDLE, "data_mb": 10**40}), "data_mb must be between 1 and"),
    "data_mb a fraction": (json.dumps({**BUNDLE, "data_mb": 1.5}), "data_mb (or null) must be"),
    "data_mb a float": (json.dumps({**BUNDLE, "data_mb": 5.0}), "data_mb (or null) must be"),
    "data_mb a string": (json.dumps({**BUNDLE, "data_mb": "5"}), "data_mb (or null) must be"),
    "data_mb true": (json.dumps({**BUNDLE, "data_mb": True}), "data_mb (or null) must be"),
    "data_mb NaN": (json.dumps({**BUNDLE, "data_mb": float("nan")}), "data_mb (or null) must be"),
    "no validity": (
        json.dumps({"reference": "r", "data_mb": 1}),
        "validity_days must be a whole number.",
    ),
    "validity null": (
        json.dumps({**BUNDLE, "validity_days": None}),
        "validity_days must be a whole number.",
    ),
    "validity zero": (
        json.dumps({**BUNDLE, "validity_days": 0}),
        "validity_days must be between 1 and 3650.",
    ),
    "validity too long": (
        json.dumps({**BUNDLE, "validity_days": 3651}),
        "validity_days must be between 1 and 3650.",
    ),
    "validity huge": (
        json.dumps({**BUNDLE, "validity_days": 10**30}),
        "validity_days must be between 1 and 3650.",
    ),
    "int with too many digits": (
        b'{"reference": "r", "data_mb": ' + b"9" * 5000 + b', "validity_days": 1}',
        "The body must be a JSON object.",
    ),
}


@pytest.mark.parametrize("raw,message", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_bundle_bodies_are_400(
    client: Client, db: None, raw: bytes | str, message: str
) -> None:
    response = post(client, f"{ICCID}/bundles", raw=raw)

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert not NetworkBundle.objects.exists()


def test_the_limits_themselves_are_accepted(client: Client, db: None) -> None:
    longest = {"reference": "R" * 64, "data_mb": 2**31 - 1, "validity_days": 3650}
    shortest = {"reference": "a", "data_mb": 1, "validity_days": 1}

    assert post(client, f"{ICCID}/bundles", longest).status_code == 201
    assert post(client, f"{ICCID}/bundles", shortest).status_code == 201


# --- Nothing a caller sends gives a 5xx ---------------------------------------------

ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
BUNDLE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "reference": JSON_VALUES,
        "data_mb": JSON_VALUES,
        "validity_days": JSON_VALUES,
        "coverage": JSON_VALUES,
    },
)
NO_5XX = hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@NO_5XX
@given(
    iccid=ANY_TEXT | st.from_regex(r"\A[0-9]{19}F?\Z"),
    action=st.sampled_from(["suspend", "resume", "terminate", "bundles", ""]),
)
def test_no_iccid_string_gives_a_5xx(client: Client, db: None, iccid: str, action: str) -> None:
    path = f"/network/api/v1/subscriptions/{quote(iccid, safe='')}/{action}".rstrip("/")
    if action:
        response = client.post(path, json.dumps(BUNDLE), "application/json", headers=auth())
    else:
        response = client.get(path, headers=auth())

    assert response.status_code < 500, response.content
    if iccid and "/" not in iccid:  # it reached the simulator, not Django's own 404
        assert response.status_code in (200, 201, 400, 404, 409)
        if response.status_code >= 400:
            assert isinstance(response.json()["error"], str)


@NO_5XX
@given(body=st.binary(max_size=80) | JSON_VALUES.map(json.dumps) | BUNDLE_LIKE.map(json.dumps))
def test_no_body_gives_a_5xx(client: Client, db: None, body: bytes | str) -> None:
    response = post(client, f"{ICCID}/bundles", raw=body)

    assert response.status_code in (200, 201, 400, 409), response.content
    if response.status_code >= 400:
        assert isinstance(response.json()["error"], str)
    else:
        sent = json.loads(body)
        assert response.json()["reference"] == sent["reference"]


# --- Concurrency, over real HTTP -----------------------------------------------------


def test_the_same_bundle_sent_at_once_is_added_once(live_server: Any) -> None:
    url = f"{live_server.url}/network/api/v1/subscriptions/{ICCID}/bundles"
    start = threading.Barrier(8)
    statuses: list[int] = []

    def add() -> None:
        start.wait()
        response = requests.post(url, json=BUNDLE, headers=auth(), timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 7 + [201]
    assert NetworkBundle.objects.count() == 1
    assert NetworkSubscription.objects.count() == 1

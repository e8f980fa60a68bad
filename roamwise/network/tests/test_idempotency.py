"""The simulator honours the shop's ``Idempotency-Key``: the same key is answered
the same and never acted on twice, even after other changes came in between;
a key reused for another request is refused; a fault switch makes it act and
lose the answer, as a real network sometimes does (SIM-02, ADR 0017)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db import connection
from django.test import Client

from roamwise.core.faults import fault_set
from roamwise.network.models import NetworkBundle, NetworkRequest, NetworkSubscription
from roamwise.network.tests.helpers import auth, make_iccid, post

pytestmark = pytest.mark.usefixtures("stand_ins")

ICCID = make_iccid(7)
BUNDLE = {"reference": "topup-9", "data_mb": 512, "validity_days": 7, "coverage": ["FR"]}


def keyed(key: str) -> dict[str, str]:
    # Connection: close, so that no live-server thread keeps its database session.
    return {**auth(), "Idempotency-Key": key, "Connection": "close"}


def line_state() -> str:
    return NetworkSubscription.objects.get(iccid=ICCID).state


@pytest.mark.commitment("SIM-02")
def test_a_repeated_key_is_answered_the_same_and_not_acted_on_again(
    client: Client, db: None
) -> None:
    first = post(client, f"{ICCID}/suspend", headers=keyed("k-suspend"))
    post(client, f"{ICCID}/resume", headers=keyed("k-resume"))
    # The suspend's answer was lost; the shop repeats it, after the resume.
    repeated = post(client, f"{ICCID}/suspend", headers=keyed("k-suspend"))

    assert first.status_code == repeated.status_code == 200
    assert repeated.json() == first.json() == {"iccid": ICCID, "state": "suspended"}
    assert line_state() == "active"  # not suspended a second time
    assert NetworkRequest.objects.count() == 2


def test_a_refusal_is_kept_for_its_key_too(client: Client, db: None) -> None:
    post(client, f"{ICCID}/terminate", headers=keyed("k-end"))

    refused = post(client, f"{ICCID}/resume", headers=keyed("k-resume"))
    again = post(client, f"{ICCID}/resume", headers=keyed("k-resume"))

    assert refused.status_code == again.status_code == 409
    assert again.json() == refused.json()


def test_a_bundle_repeated_with_its_key_is_one_bundle_with_the_same_answer(
    client: Client, db: None
) -> None:
    first = post(client, f"{ICCID}/bundles", BUNDLE, headers=keyed("k-bundle"))
    again = post(client, f"{ICCID}/bundles", BUNDLE, headers=keyed("k-bundle"))

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert NetworkBundle.objects.count() == 1


@pytest.mark.parametrize(
    "second",
    [("resume", None), ("suspend", make_iccid(8)), ("bundles", BUNDLE)],
    ids=["another action", "another line", "another body"],
)
def test_a_key_reused_for_another_request_is_refused(
    client: Client, db: None, second: tuple[str, Any]
) -> None:
    post(client, f"{ICCID}/suspend", headers=keyed("k-1"))
    action, other = second
    path = f"{other}/suspend" if isinstance(other, str) else f"{ICCID}/{action}"

    response = post(client, path, other if isinstance(other, dict) else None, headers=keyed("k-1"))

    assert response.status_code == 422
    assert "already used for another request" in response.json()["error"]
    assert line_state() == "suspended"
    assert not NetworkBundle.objects.exists()


@pytest.mark.parametrize("key", ["", "a" * 65, "bad key", "k/../x"])
def test_a_malformed_key_is_a_400(client: Client, db: None, key: str) -> None:
    response = post(client, f"{ICCID}/suspend", headers=keyed(key))

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert not NetworkSubscription.objects.filter(state="suspended").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_key_act_once(live_server: Any, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    url = f"{live_server.url}/network/api/v1/subscriptions/{ICCID}"
    requests.post(f"{url}/suspend", headers=keyed("k-first"), timeout=10)
    barrier = threading.Barrier(6)
    answers: list[tuple[int, dict]] = []

    def resume() -> None:
        barrier.wait()
        response = requests.post(f"{url}/resume", headers=keyed("k-resume"), timeout=10)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=resume) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()

    assert answers == [(200, {"iccid": ICCID, "state": "active"})] * 6
    assert NetworkRequest.objects.filter(key="k-resume").count() == 1


@pytest.fixture
def faults(settings: Any) -> Iterator[None]:
    settings.SIMULATOR_FAULTS = True
    yield
    fault_set("network", mode="none", seconds=0)


def test_the_fault_switch_makes_the_network_act_and_lose_the_answer(
    client: Client, db: None, faults: None
) -> None:
    switched = client.post(
        "/network/api/v1/admin/fault",
        {"mode": "garbage", "seconds": 60},
        content_type="application/json",
        headers=auth(),
    )

    lost = post(client, f"{ICCID}/suspend", headers=keyed("k-lost"))

    assert switched.status_code == 200 and switched.json()["mode"] == "garbage"
    assert lost.status_code == 200 and lost["Content-Type"].startswith("text/html")
    assert line_state() == "suspended"  # it acted
    assert NetworkRequest.objects.get(key="k-lost").body == {"iccid": ICCID, "state": "suspended"}


def test_the_fault_switch_needs_the_api_key_and_is_off_by_default(
    client: Client, db: None, settings: Any
) -> None:
    body = {"mode": "slow"}
    settings.SIMULATOR_FAULTS = True
    unauthorised = client.post("/network/api/v1/admin/fault", body, "application/json")
    settings.SIMULATOR_FAULTS = False
    off = client.post("/network/api/v1/admin/fault", body, "application/json", headers=auth())

    assert (unauthorised.status_code, off.status_code) == (401, 404)
    assert settings.NETWORK_PARTNER_API_KEY  # the switch is behind the partner's own key

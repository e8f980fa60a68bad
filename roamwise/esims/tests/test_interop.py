"""ES2+ with SM-DP+s other than our simulator (SIM-01): what SGP.22 allows and
real vendors do, through the recording proxy in front of the simulator.

- 19-digit ICCIDs padded with 'F', in answers and in notifications;
- no getProfileStatus (a vendor extension): a lost answer is settled with
  SGP.22's four functions only;
- the matching ID the SM-DP+ generates in ConfirmOrder;
- a profile given back to the SM-DP+ and handed out again (a recycled ICCID).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.core.signing import ES2_NOTIFICATION_HEADER, signature_header
from roamwise.esims import selectors
from roamwise.esims.models import Es2Attempt, Esim, EsimState, ProfileStock
from roamwise.esims.services import lifecycle
from roamwise.orders.models import OrderStatus
from roamwise.orders.services import order_create
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import buy

from .smdp_proxy import SmdpProxy

URL = "/esims/es2plus/handleDownloadProgressInfo"


def post(client: Client, body: object, *, path: str = URL) -> Any:
    """A notification as the simulator's sender signs it."""
    data = json.dumps(body).encode()
    return client.post(
        path,
        data,
        content_type="application/json",
        headers={
            ES2_NOTIFICATION_HEADER: signature_header(data, settings.ES2PLUS_NOTIFICATION_SECRET),
            "X-Admin-Protocol": "gsma/rsp/v2.2.0",
        },
    )


def reserved() -> list[SmdpProfile]:
    held = SmdpProfile.objects.exclude(state__in=(ProfileState.AVAILABLE, ProfileState.UNAVAILABLE))
    return list(held.order_by("iccid"))


# --- The 'F' pad (SGP.22 §5.2.1) ----------------------------------------------------


@pytest.mark.commitment("SIM-01")
@pytest.mark.parametrize("batch", [True, False], ids=["by-iccid", "by-type"])
@pytest.mark.parametrize("pad_requests", [False, True], ids=["digits", "padded"])
def test_a_padded_iccid_is_the_same_profile_everywhere(
    smdp: SmdpProxy,
    buyer: Client,
    plan: Plan,
    jobs: object,
    settings: object,
    batch: bool,
    pad_requests: bool,
) -> None:
    smdp.pad_iccids = True  # as real vendors answer: 8988200000000070025F
    smdp.sgp22_only = True  # and offer no getProfileStatus to fall back on
    settings.ES2PLUS_ICCID_PADDED = pad_requests  # type: ignore[attr-defined]
    if not batch:
        ProfileStock.objects.all().delete()

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY, esim.failure_reason
    (profile,) = reserved()
    assert esim.iccid == profile.iccid and len(esim.iccid) == 19  # stored without its pad
    (answer,) = [e["response"] for e in smdp.calls("downloadOrder")]  # taken at once
    assert answer["iccid"] == f"{profile.iccid}F"
    assert smdp.refused == []
    sent = [e["request"]["iccid"] for e in smdp.exchanges if "iccid" in e["request"]]
    assert set(sent) == {f"{profile.iccid}F" if pad_requests else profile.iccid}
    # The notification names the profile with its pad too, and finds the eSIM.
    body = {
        "header": {"functionRequesterIdentifier": "smdp", "functionCallIdentifier": "n-pad"},
        "iccid": f"{profile.iccid}F",
        "profileType": plan.profile_type,
        "timestamp": "2026-12-07T00:33:55Z",
        "notificationPointId": 4,
        "notificationPointStatus": {"status": "Executed-Success"},
    }
    assert post(Client(), body).status_code == 204
    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED


# --- A standard SM-DP+: no getProfileStatus ----------------------------------------


@pytest.mark.commitment("SIM-01")
@pytest.mark.parametrize("fault", ["slow", "reset"])
def test_a_lost_download_order_is_settled_without_the_vendor_extension(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, fault: str
) -> None:
    """One timeout must not fail a paid order nor leave a profile allocated."""
    smdp.sgp22_only = True
    smdp.inject("downloadOrder", fault)

    order = buy(buyer, plan, jobs)

    order.refresh_from_db()
    esim = Esim.objects.get(order=order)
    assert (order.status, esim.state) == (OrderStatus.FULFILLED, EsimState.READY)
    (profile,) = reserved()
    assert profile.iccid == esim.iccid and profile.state == ProfileState.RELEASED
    assert smdp.refused == []  # never asked what SGP.22 does not define
    lost, again = esim.attempts.filter(function="downloadOrder").order_by("started_at", "id")
    assert lost.outcome == Es2Attempt.Outcome.SUCCEEDED and lost.message.startswith("reconciled")
    assert again.status_code == "8.2.1/3.3"  # "already in use": by our lost call


@pytest.mark.commitment("SIM-01")
def test_a_profile_reserved_by_a_lost_call_is_given_back_without_the_vendor_extension(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, settings: object
) -> None:
    settings.ESIM_PROVISION_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]
    smdp.sgp22_only = True
    smdp.inject("downloadOrder", "slow")  # it reserves a profile; the answer never comes

    order = buy(buyer, plan, jobs)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert reserved() == []  # cancelled by the ICCID it had asked for
    assert len(smdp.calls("cancelOrder")) == 1
    assert smdp.refused == []


# --- The matching ID the SM-DP+ returns (§5.3.2) -----------------------------------------


@pytest.mark.commitment("SIM-01")
def test_the_customer_gets_the_matching_id_the_smdp_knows(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object
) -> None:
    smdp.own_matching_ids = True

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    (profile,) = reserved()
    (confirmed,) = smdp.calls("confirmOrder")
    assert esim.matching_id == profile.matching_id == confirmed["response"]["matchingId"]
    assert esim.activation_code.endswith(f"${profile.matching_id}")


# --- A recycled ICCID (ADR 0006) ------------------------------------------------------------


@pytest.mark.commitment("SIM-01")
@pytest.mark.parametrize("batch", [True, False], ids=["by-iccid", "by-type"])
def test_a_profile_given_back_is_provisioned_again_to_the_next_order(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, batch: bool
) -> None:
    only = SmdpProfile.objects.order_by("iccid")[0].iccid  # one profile to go round
    SmdpProfile.objects.exclude(iccid=only).update(state=ProfileState.UNAVAILABLE)
    ProfileStock.objects.exclude(iccid=only if batch else None).delete()
    first = Esim.objects.get(order=buy(buyer, plan, jobs))
    lifecycle.esim_delete(esim=first, actor="customer")  # back to the SM-DP+: Available
    jobs()  # type: ignore[operator]

    second = Esim.objects.get(order=buy(buyer, plan, jobs))

    first.refresh_from_db()
    assert first.state == EsimState.DELETED
    assert second.state == EsimState.READY, second.failure_reason
    assert second.iccid == first.iccid
    (profile,) = reserved()
    assert (profile.iccid, profile.matching_id) == (second.iccid, second.matching_id)
    assert selectors.esim_by_iccid(second.iccid) == second  # notifications find the live one


@pytest.mark.commitment("SIM-01")
def test_a_profile_that_cannot_be_written_down_is_given_back(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, settings: object
) -> None:
    """The SM-DP+ hands out an ICCID a live eSIM of ours holds: saving it fails
    after the DownloadOrder succeeded. The profile is cancelled, not left allocated."""
    settings.ESIM_PROVISION_MAX_ATTEMPTS = 2  # type: ignore[attr-defined]
    ProfileStock.objects.all().delete()
    handed_out = SmdpProfile.objects.order_by("iccid")[0].iccid
    other = make_customer("otherholder")
    Esim.objects.create(
        customer=other,
        order=order_create(customer=other, plan=plan, billing=_billing()),
        profile_type=plan.profile_type,
        matching_id="HELD-BY-ANOTHER",
        iccid=handed_out,
        state=EsimState.READY,
    )

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.FAILED  # refunded after its tries
    assert reserved() == []  # every profile it was given went back
    downloads = esim.attempts.filter(function="downloadOrder")
    cancels = esim.attempts.filter(function="cancelOrder", outcome=Es2Attempt.Outcome.SUCCEEDED)
    assert downloads.count() == cancels.count() == 2
    assert all(a.outcome == Es2Attempt.Outcome.SUCCEEDED for a in downloads)
    assert [c["request"]["iccid"] for c in smdp.calls("cancelOrder")] == [handed_out] * 2


def _billing() -> object:
    from roamwise.orders.services import BillingDetails

    return BillingDetails(
        name="Other Holder",
        line1="1 Test Street",
        line2="",
        city="Leeds",
        postcode="LS1 1AA",
        country="GB",
        phone="+447911123456",
    )


# --- Notifications as other senders send them (HandleDownloadProgressInfo) ------------


@pytest.fixture
def ready(smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object) -> Esim:
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))
    assert esim.state == EsimState.READY
    return esim


def installed(esim: Esim, call_id: str, **changes: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "header": {"functionRequesterIdentifier": "smdp", "functionCallIdentifier": call_id},
        "iccid": esim.iccid,
        "profileType": esim.profile_type,
        "timestamp": "2026-12-07T00:33:55Z",
        "notificationPointId": 4,
        "notificationPointStatus": {"status": "Executed-Success"},
    }
    return body | changes


@pytest.mark.commitment("SIM-01")
@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-12-07T00:33:55+00:00",
        "2026-12-07T01:33:55+01:00",
        "2026-12-06T19:33:55-05:00",
        "2026-12-07T00:33:55.123Z",
        "2026-12-07T00:33:55.123456789Z",
        "2026-12-07T00:33:55,5+0000",
        "2026-12-07t00:33:55z",
        "2026-12-07T00:33Z",
    ],
)
def test_every_w3c_timestamp_is_accepted(ready: Esim, client: Client, timestamp: str) -> None:
    response = post(client, installed(ready, "n-time", timestamp=timestamp))

    assert response.status_code == 204, response.content
    ready.refresh_from_db()
    assert ready.state == EsimState.INSTALLED


@pytest.mark.parametrize(
    "timestamp", ["2026-13-07T00:33:55Z", "2026-02-30T00:00:00Z", "07/12/2026", "2026-12-07"]
)
def test_a_timestamp_that_is_no_date_is_refused(
    ready: Esim, client: Client, timestamp: str
) -> None:
    response = post(client, installed(ready, "n-time", timestamp=timestamp))

    assert response.status_code == 400
    assert "timestamp" in response.json()["message"]
    assert response["X-Admin-Protocol"].startswith("gsma/rsp/v2.")


@pytest.mark.commitment("SIM-01")
def test_the_notification_is_served_at_the_sgp22_function_path(ready: Esim, client: Client) -> None:
    """Senders append SGP.22's path (§6.5.2) to the base URL the operator gives."""
    base = "/esims/es2plus"
    refused = post(
        client, {"header": {}}, path=f"{base}/gsma/rsp2/es2plus/handleDownloadProgressInfo"
    )
    accepted = post(
        client,
        installed(ready, "n-path"),
        path=f"{base}/gsma/rsp2/es2plus/handleDownloadProgressInfo",
    )

    assert accepted.status_code == 204 and accepted.content == b""
    assert refused.status_code == 400
    for response in (accepted, refused):
        assert response["X-Admin-Protocol"].startswith("gsma/rsp/v2.")
    ready.refresh_from_db()
    assert ready.state == EsimState.INSTALLED


@pytest.mark.commitment("SIM-01")
def test_a_call_identifier_reused_with_another_body_is_refused_visibly(
    ready: Esim, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    failed = installed(
        ready,
        "n-same",
        notificationPointId=3,
        notificationPointStatus={
            "status": "Failed",
            "statusCodeData": {"subjectCode": "8.8.5", "reasonCode": "3.8"},
        },
    )
    first = post(client, failed)
    # Keys in another order, other spacing: the same notification.
    same = client.post(
        URL,
        json.dumps(dict(reversed(failed.items())), indent=2).encode(),
        content_type="application/json",
        headers=_signed(json.dumps(dict(reversed(failed.items())), indent=2).encode()),
    )
    other = post(client, installed(ready, "n-same"))

    assert (first.status_code, same.status_code) == (204, 204)
    assert other.status_code == 409
    assert "functionCallIdentifier" in other.json()["message"]
    assert other["X-Admin-Protocol"].startswith("gsma/rsp/v2.")
    assert "n-same" in caplog.text
    ready.refresh_from_db()
    assert ready.state == EsimState.INSTALL_FAILED  # the first one counted, once


def _signed(data: bytes) -> dict[str, str]:
    return {
        ES2_NOTIFICATION_HEADER: signature_header(data, settings.ES2PLUS_NOTIFICATION_SECRET),
        "X-Admin-Protocol": "gsma/rsp/v2.2.0",
    }

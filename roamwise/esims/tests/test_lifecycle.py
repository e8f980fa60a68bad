"""After provisioning: the SM-DP+'s notifications drive the eSIM's state; the
customer and staff suspend, resume and delete it; refunds cancel it; every
activation and deactivation is recorded with its actor (SIM-02)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.signing import signature_header
from roamwise.esims.models import Esim, EsimEvent, EsimState, ProgressReport
from roamwise.network.models import NetworkSubscription
from roamwise.orders.models import OrderStatus
from roamwise.payments.services import refund_issue
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.smdp.services import device_download
from roamwise.testing.helpers import rows_containing
from roamwise.testing.lines import EID
from roamwise.testing.shopping import buy

from .smdp_proxy import SmdpProxy

URL = "/esims/es2plus/handleDownloadProgressInfo"


@pytest.fixture
def esim(smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object) -> Esim:
    order = buy(buyer, plan, jobs)
    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY
    return esim


def install(esim: Esim, jobs: object, outcome: str = "installed") -> None:
    """The phone downloads the profile; the SM-DP+ notifies the shop over HTTP."""
    device_download(matching_id=esim.matching_id, eid=EID, outcome=outcome)
    jobs()  # type: ignore[operator]
    esim.refresh_from_db()


def notification(esim: Esim, call_id: str, **changes: object) -> dict:
    body = {
        "header": {
            "functionRequesterIdentifier": "smdp.example",
            "functionCallIdentifier": call_id,
        },
        "eid": EID,
        "iccid": esim.iccid,
        "profileType": esim.profile_type,
        "timestamp": "2026-11-21T20:13:33Z",
        "notificationPointId": 4,
        "notificationPointStatus": {"status": "Executed-Success"},
    }
    body.update(changes)
    return body


def post(client: Client, body: object, *, secret: str | None = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body).encode()
    header = signature_header(data, secret or settings.ES2PLUS_NOTIFICATION_SECRET)
    return client.post(
        URL,
        data,
        content_type="application/json",
        headers={"X-ES2-Signature": header, "X-Admin-Protocol": "gsma/rsp/v2.2.0"},
    )


@pytest.mark.commitment("SIM-02")
@pytest.mark.commitment("SIM-04")
def test_the_download_notifications_mark_the_esim_installed(esim: Esim, jobs: object) -> None:
    install(esim, jobs)

    assert esim.state == EsimState.INSTALLED
    assert esim.installed_at is not None
    assert esim.eid == EID  # the device it went to, kept with the eSIM only (SIM-04)
    reports = list(ProgressReport.objects.filter(esim=esim).values_list("point", "status"))
    assert reports == [(3, "Executed-Success"), (4, "Executed-Success")]
    assert SmdpProfile.objects.get(iccid=esim.iccid).state == ProfileState.INSTALLED
    # Sealed at rest: neither the EID nor the activation code is readable in the database.
    assert [hit for hit in rows_containing(EID) if not hit.startswith("smdp_")] == []
    assert [h for h in rows_containing(esim.matching_id) if not h.startswith("smdp_")] == []


def test_a_failed_installation_is_shown(esim: Esim, jobs: object) -> None:
    install(esim, jobs, outcome="failed")

    assert esim.state == EsimState.INSTALL_FAILED
    assert esim.events.last().note == "Profile installation failed"


def test_notifications_are_idempotent_and_answer_204(esim: Esim, client: Client) -> None:
    body = notification(esim, "n-1", iccid=esim.iccid + "F")  # the pad names the same profile

    first = post(client, body)
    again = post(client, body)

    assert (first.status_code, again.status_code) == (204, 204)
    assert first.content == b""
    assert ProgressReport.objects.filter(call_id="n-1").count() == 1
    assert EsimEvent.objects.filter(esim=esim, to_status=EsimState.INSTALLED).count() == 1


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"notificationPointId": "four"}, 400, "notificationPointId"),
        ({"iccid": "12345"}, 400, "iccid"),
        ({"timestamp": "yesterday"}, 400, "timestamp"),
        ({"notificationPointStatus": None}, 400, "notificationPointStatus"),
        ({"header": None}, 400, "header"),
        ({"notificationPointId": -1}, 400, "out of range"),
        ({"iccid": "8944990000000099999"}, 404, "No eSIM has this ICCID"),
    ],
)
def test_bad_notifications_are_refused_with_a_reason(
    esim: Esim, client: Client, change: dict, status: int, message: str
) -> None:
    body = notification(esim, "n-bad", **change)
    if change == {"header": None}:
        del body["header"]

    response = post(client, body)

    assert response.status_code == status
    assert message in response.json()["message"]
    assert not ProgressReport.objects.exists()
    esim.refresh_from_db()
    assert esim.state == EsimState.READY


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"{}", b'{"iccid": 1}', b"\xff\xfe"])
def test_garbage_notifications_are_a_400(esim: Esim, client: Client, raw: bytes) -> None:
    assert post(client, None, raw=raw).status_code == 400


def test_unsigned_or_forged_notifications_are_refused(esim: Esim, client: Client) -> None:
    body = json.dumps(notification(esim, "n-forged")).encode()

    unsigned = client.post(URL, body, content_type="application/json")
    forged = post(client, None, raw=body, secret="not-the-secret")

    assert (unsigned.status_code, forged.status_code) == (401, 401)
    esim.refresh_from_db()
    assert esim.state == EsimState.READY
    assert not ProgressReport.objects.exists()


def test_a_proxy_checked_client_certificate_is_accepted(
    esim: Esim, client: Client, settings: object
) -> None:
    settings.ES2PLUS_NOTIFICATION_MTLS_HEADER = "X-SSL-Client-Verify"  # type: ignore[attr-defined]
    body = json.dumps(notification(esim, "n-mtls")).encode()

    refused = client.post(
        URL, body, content_type="application/json", headers={"X-SSL-Client-Verify": "FAILED"}
    )
    accepted = client.post(
        URL, body, content_type="application/json", headers={"X-SSL-Client-Verify": "SUCCESS"}
    )

    assert (refused.status_code, accepted.status_code) == (401, 204)


@pytest.mark.commitment("SIM-02")
def test_the_customer_suspends_resumes_and_deletes_with_every_move_recorded(
    esim: Esim, buyer: Client, jobs: object, alice: User
) -> None:
    install(esim, jobs)
    base = f"/esims/{esim.public_id}"

    buyer.post(f"{base}/suspend/")
    assert NetworkSubscription.objects.get(iccid=esim.iccid).state == "suspended"
    buyer.post(f"{base}/resume/")
    assert NetworkSubscription.objects.get(iccid=esim.iccid).state == "active"
    unconfirmed = buyer.post(f"{base}/delete/")
    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED and unconfirmed.status_code == 302
    buyer.post(f"{base}/delete/", {"confirm": "yes"})

    esim.refresh_from_db()
    assert esim.state == EsimState.DELETED
    assert NetworkSubscription.objects.get(iccid=esim.iccid).state == "terminated"
    moves = list(esim.events.values_list("from_status", "to_status", "actor"))
    assert moves[-4:] == [
        ("ready", "installed", "smdp"),
        ("installed", "suspended", "customer"),
        ("suspended", "installed", "customer"),
        ("installed", "deleted", "customer"),
    ]
    kinds = [e.kind for e in esim.events.all()][-3:]
    assert kinds == ["deactivation", "activation", "deactivation"]
    page = buyer.get(f"{base}/")
    assert "installed by smdp" in page.content.decode().lower()


def test_staff_suspend_through_the_back_office_as_themselves(
    esim: Esim, jobs: object, staff: User
) -> None:

    from roamwise.esims.services import lifecycle

    install(esim, jobs)
    lifecycle.esim_suspend(esim=esim, actor=f"staff:{staff.pk}")

    assert esim.events.last().actor == f"staff:{staff.pk}"
    assert NetworkSubscription.objects.get(iccid=esim.iccid).state == "suspended"


def test_a_suspension_the_network_does_not_answer_changes_nothing_yet(
    esim: Esim, buyer: Client, jobs: object, settings: object
) -> None:
    install(esim, jobs)
    settings.NETWORK_PARTNER_URL = "http://127.0.0.1:9"  # type: ignore[attr-defined]

    response = buyer.post(f"/esims/{esim.public_id}/suspend/", follow=True)

    # The network may yet act: the customer is told it has not confirmed, not
    # that it failed (test_lifecycle_network settles it).
    assert "has not confirmed the pause yet" in response.content.decode()
    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED


@pytest.mark.commitment("SIM-02")
def test_refunding_an_esim_not_yet_downloaded_cancels_it_at_the_smdp(
    esim: Esim, jobs: object, smdp: SmdpProxy
) -> None:
    order = esim.order
    refund_issue(order=order, amount=order.total, reason="trip cancelled", actor="staff:1")
    jobs()  # type: ignore[operator]

    esim.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert esim.state == EsimState.DELETED
    assert esim.events.last().actor == "refund"
    (cancel,) = smdp.calls("cancelOrder")
    assert cancel["request"]["finalProfileStatusIndicator"] == "Available"
    assert cancel["request"]["matchingId"] == esim.matching_id
    profile = SmdpProfile.objects.get(iccid=esim.iccid)
    assert (profile.state, profile.matching_id) == (ProfileState.AVAILABLE, None)

"""What the customer sees: the activation code, QR code and install links, to
the owner only; the API's view of it; and top-ups on the same eSIM."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.esims.install import install_links
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.network.models import NetworkBundle
from roamwise.orders.models import Order, OrderStatus
from roamwise.smdp.models import SmdpProfile
from roamwise.testing.shopping import BILLING_FORM, buy, pay

from .smdp_proxy import SmdpProxy


@pytest.fixture
def esim(smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object) -> Esim:
    return Esim.objects.get(order=buy(buyer, plan, jobs))


@pytest.mark.commitment("SIM-01")
def test_the_esim_page_shows_every_way_to_install(esim: Esim, buyer: Client) -> None:
    page = buyer.get(f"/esims/{esim.public_id}/").content.decode()

    code = f"1$smdp.roamwise.example${esim.matching_id}"
    assert re.search(r"<svg[^>]*class=\"esim-qr\"", page)
    assert f'<code id="android-code">LPA:{code}</code>' in page
    assert '<code id="smdp-address">smdp.roamwise.example</code>' in page
    assert f'<code id="matching-id">{esim.matching_id}</code>' in page
    ios = re.search(r'id="ios-install" href="([^"]+)"', page)
    assert ios is not None
    link = urlparse(ios.group(1).replace("&amp;", "&"))
    assert (link.scheme, link.netloc, link.path) == (
        "https",
        "esimsetup.apple.com",
        "/esim_qrcode_provisioning",
    )
    assert parse_qs(link.query) == {"carddata": [f"LPA:{code}"]}
    png = buyer.get(f"/esims/{esim.public_id}/qr.png")
    assert png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


SAMSUNG_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)


def test_the_esim_page_links_the_guide_for_the_phone(esim: Esim, buyer: Client) -> None:
    on_samsung = buyer.get(
        f"/esims/{esim.public_id}/", headers={"user-agent": SAMSUNG_BROWSER}
    ).content.decode()
    on_desktop = buyer.get(f"/esims/{esim.public_id}/").content.decode()

    assert 'id="install-guide" href="/help/install/samsung/"' in on_samsung
    # Without a phone to go by, a chooser of every guide.
    assert 'id="install-guide"' not in on_desktop
    for slug in ("iphone", "pixel", "samsung", "android"):
        assert f'href="/help/install/{slug}/"' in on_desktop


def test_the_activation_code_follows_sgp22() -> None:
    esim = Esim(smdp_address="smdp.example.com", matching_id="04386-AGYFT-A74Y8-3F815")
    links = install_links(esim)
    assert links.activation_code == "1$smdp.example.com$04386-AGYFT-A74Y8-3F815"
    assert links.qr_payload == "LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815"
    assert links.ios_link.endswith("carddata=LPA%3A1%24smdp.example.com%2404386-AGYFT-A74Y8-3F815")


@pytest.mark.commitment("SIM-01")
def test_another_customer_sees_nothing_of_it(esim: Esim, bob: User) -> None:
    other = Client()
    other.force_login(bob)
    for path in ("/", "qr.png", "top-up/"):
        assert other.get(f"/esims/{esim.public_id}/{path}".replace("//", "/")).status_code == 404
    assert other.post(f"/esims/{esim.public_id}/suspend/").status_code == 404
    assert other.get(f"/api/v1/esims/{esim.public_id}").status_code == 404
    assert other.get("/api/v1/esims").json() == []
    assert Client().get(f"/esims/{esim.public_id}/").status_code == 302  # to sign in


def test_staff_never_see_the_activation_code(esim: Esim) -> None:
    from roamwise.testing.people import staff_client

    client, _ = staff_client(None, "admin")
    url = f"/admin/esims/esim/{esim.pk}/change/"
    client.post(url, {"_audit_reason": "Ticket 42: cannot install"})
    page = client.get(url).content.decode()

    assert esim.iccid in page  # the record is open, with what support needs
    assert esim.matching_id not in page


def test_the_api_gives_the_owner_the_install_details(esim: Esim, buyer: Client) -> None:
    answer = buyer.get(f"/api/v1/esims/{esim.public_id}").json()

    assert answer["state"] == "ready"
    assert answer["install"]["activation_code"] == esim.activation_code
    assert answer["install"]["qr_payload"] == f"LPA:{esim.activation_code}"
    assert answer["install"]["qr_png_url"].endswith(f"/esims/{esim.public_id}/qr.png")
    assert [b["state"] for b in answer["bundles"]] == ["active"]
    assert buyer.get("/api/v1/esims").json()[0]["id"] == str(esim.public_id)
    refused = buyer.post(
        f"/api/v1/esims/{esim.public_id}/delete",
        {"confirm": False},
        content_type="application/json",
    )
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "not_confirmed"
    assert Esim.objects.get(pk=esim.pk).state == EsimState.READY


@pytest.mark.commitment("SIM-02")
def test_a_top_up_adds_a_bundle_to_the_same_esim(
    esim: Esim, buyer: Client, plan: Plan, jobs: object, smdp: SmdpProxy
) -> None:
    calls_before = len(smdp.exchanges)
    form = buyer.get(f"/esims/{esim.public_id}/top-up/").content.decode()
    extra = Plan.objects.get(destination__code="FR", data_mb=1024)
    assert str(extra.public_id) in form

    response = buyer.post(
        f"/esims/{esim.public_id}/top-up/", {"plan": str(extra.public_id), **BILLING_FORM}
    )
    assert response.status_code == 302, response.content.decode()[:300]
    pay(buyer, response["Location"], "4242 4242 4242 4242")
    jobs()  # type: ignore[operator]

    topup = Order.objects.get(kind=Order.Kind.TOPUP)
    assert topup.status == OrderStatus.FULFILLED
    bundle = Bundle.objects.get(order=topup)
    assert (bundle.esim_id, bundle.state, bundle.data_mb) == (esim.pk, "active", 1024)
    assert NetworkBundle.objects.filter(subscription__iccid=esim.iccid).count() == 2
    assert len(smdp.exchanges) == calls_before  # no new profile, no ES2+ call
    assert Esim.objects.count() == 1
    assert SmdpProfile.objects.exclude(state="Available").count() == 1


def test_a_top_up_for_a_plan_of_another_profile_is_refused(esim: Esim, buyer: Client) -> None:
    other = Plan.objects.get(destination__code="FR", data_mb=1024)
    Plan.objects.filter(pk=other.pk).update(profile_type="other-network")

    response = buyer.post(
        f"/esims/{esim.public_id}/top-up/", {"plan": str(other.public_id), **BILLING_FORM}
    )

    assert response.status_code == 200
    assert "Choose a plan to add." in response.content.decode()
    assert not Order.objects.filter(kind=Order.Kind.TOPUP).exists()


def test_a_deleted_esim_cannot_be_topped_up(esim: Esim, buyer: Client) -> None:
    buyer.post(f"/esims/{esim.public_id}/delete/", {"confirm": "yes"})
    esim.refresh_from_db()
    assert esim.state == EsimState.DELETED
    extra = Plan.objects.get(destination__code="FR", data_mb=1024)

    response = buyer.post(
        f"/esims/{esim.public_id}/top-up/", {"plan": str(extra.public_id), **BILLING_FORM}
    )

    assert "can no longer be topped up" in response.content.decode()
    assert not Order.objects.filter(kind=Order.Kind.TOPUP).exists()

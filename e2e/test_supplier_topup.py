"""A wholesaler's eSIM topped up in Chromium: the customer picks a top-up on
the eSIM's page, pays on the processor's hosted page, and sees the new
bundle. The eSIM and its top-up come from Airalo's stand-in over HTTP
(ADR 0024); the test stands in only for the job consumer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from e2e.pages import fill_billing, pay_on_hosted_page
from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim
from roamwise.orders.models import Order, OrderStatus
from roamwise.suppliers.models import SupplierTopUp
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.server import serve_in_thread
from roamwise.suppliers.tests.supplying import AIRALO_PACKAGE, supplied_by, top_up_plan
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import buy


@pytest.fixture
def airalo(settings: Any) -> Iterator[AiraloStandin]:
    standin = AiraloStandin(async_delay=0)
    server, url = serve_in_thread(standin)
    settings.AIRALO_API_BASE = f"{url}/v2"
    settings.AIRALO_CLIENT_ID = standin.client_id
    settings.AIRALO_CLIENT_SECRET = standin.client_secret
    yield standin
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.commitment("SIM-02")
def test_a_customer_tops_up_a_wholesaler_esim_on_the_hosted_page(
    shop: str,
    airalo: AiraloStandin,
    plan: Plan,
    page: Any,
    screenshot: Any,
    jobs: Any,
) -> None:
    customer = make_customer("topper")
    client = Client()
    client.force_login(customer)
    supplied_by(plan, ("airalo", AIRALO_PACKAGE))
    esim = Esim.objects.get(order=buy(client, plan, jobs))
    extra = top_up_plan("airalo", "it-3-4gb-7days")
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )

    page.goto(f"{shop}/esims/{esim.public_id}/")
    page.get_by_role("link", name="Top up this eSIM").click()
    page.locator(f'input[value="{extra.public_id}"]').check()
    fill_billing(page)
    screenshot("supplier-top-up")
    page.get_by_role("button", name="Continue to payment").click()
    pay_on_hosted_page(page, screenshot, "supplier-top-up-payment")
    jobs()  # the payment, then the top-up placed at Airalo
    page.goto(f"{shop}/esims/{esim.public_id}/")

    bundles = page.locator("section.usage table").last.locator("tbody tr")
    expect(bundles).to_have_count(2)
    added = bundles.nth(1)
    assert "1 GB" in added.locator("td").first.inner_text()
    assert added.locator("td").last.inner_text() == "Active"
    screenshot("supplier-topped-up")
    topup = Order.objects.get(customer=customer, kind=Order.Kind.TOPUP)
    assert topup.status == OrderStatus.FULFILLED
    assert Bundle.objects.get(order=topup).esim_id == esim.pk
    placed = SupplierTopUp.objects.get(order=topup)
    assert (placed.supplier, placed.status) == ("airalo", "done")
    (at_airalo,) = [o for o in airalo.orders.values() if o["type"] == "topup"]
    assert at_airalo["description"] == placed.transaction_id
    assert airalo.sims[esim.iccid]["total"] == 2048 + 4096  # the eSIM's package and the top-up

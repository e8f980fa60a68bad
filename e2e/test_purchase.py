from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.testing.helpers import run_jobs
from roamwise.testing.people import make_customer


@pytest.mark.browser
@pytest.mark.commitment("ORD-04")
@pytest.mark.commitment("SIM-01")
def test_a_customer_buys_a_plan_through_the_hosted_page(
    shop: str, page: object, screenshot: object
) -> None:
    customer = make_customer("buyer")
    client = Client()
    client.force_login(customer)
    page.context.add_cookies(
        [
            {  # type: ignore[attr-defined]
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)

    page.goto(f"{shop}/plans/{plan.public_id}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Buy this plan").click()  # type: ignore[attr-defined]
    page.get_by_label("Name on the bill").fill("Buyer Example")  # type: ignore[attr-defined]
    page.locator("#id_line1").fill("1 Shibuya Crossing")  # type: ignore[attr-defined]
    page.get_by_label("Town or city").fill("London")  # type: ignore[attr-defined]
    page.get_by_label("Postcode").fill("N1 9GU")  # type: ignore[attr-defined]
    page.get_by_label("Country").select_option("GB")  # type: ignore[attr-defined]
    page.locator("#id_accept_terms").check()  # type: ignore[attr-defined]
    page.locator("#id_waive_withdrawal").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Continue to payment").click()  # type: ignore[attr-defined]

    screenshot("checkout")
    page.wait_for_url("**/gateway/pay/**")  # type: ignore[attr-defined]
    page.get_by_label("Card number").fill("4242 4242 4242 4242")  # type: ignore[attr-defined]
    page.get_by_label("Expiry month").fill("12")  # type: ignore[attr-defined]
    page.get_by_label("Expiry year").fill("34")  # type: ignore[attr-defined]
    page.get_by_label("CVC").fill("123")  # type: ignore[attr-defined]
    screenshot("hosted-payment-page")
    page.get_by_role("button", name="Pay").click()  # type: ignore[attr-defined]
    assert "confirming your payment" in page.content()  # type: ignore[attr-defined]

    run_jobs()  # the processor's webhooks, then the eSIM's provisioning over ES2+
    page.reload()  # type: ignore[attr-defined]

    # Back from paying, the page follows the order to its eSIM, ready to install.
    assert "/esims/" in page.url  # type: ignore[attr-defined]
    assert page.locator("#esim-state").inner_text() == "Ready to install"  # type: ignore[attr-defined]
    order = Order.objects.get(customer=customer)
    page.locator(f'a[href="/orders/{order.public_id}/"]').first.click()  # type: ignore[attr-defined]
    assert page.locator("#order-status").inner_text() == "Fulfilled"  # type: ignore[attr-defined]
    assert page.locator("#order-esim").is_visible()  # type: ignore[attr-defined]
    assert page.get_by_role("button", name="Pay now").count() == 0  # type: ignore[attr-defined]
    page.get_by_role("link", name=order.invoice.number).first.click()  # type: ignore[attr-defined]
    assert page.get_by_role("heading", level=1).inner_text() == f"Invoice {order.invoice.number}"  # type: ignore[attr-defined]
    assert "Buyer Example" in page.content()  # type: ignore[attr-defined]
    screenshot("receipt")

    page.get_by_role("link", name="My eSIMs").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name=plan.name).first.click()  # type: ignore[attr-defined]
    assert page.locator("#esim-state").inner_text() == "Ready to install"  # type: ignore[attr-defined]
    qr = page.locator("svg.esim-qr")  # type: ignore[attr-defined]
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] > 150 and box["height"] > 150
    esim = order.esim
    assert page.locator("#matching-id").inner_text() == esim.matching_id  # type: ignore[attr-defined]
    assert (
        page.get_by_role("link", name="Install on iPhone")
        .get_attribute("href")
        .startswith(  # type: ignore[attr-defined]
            "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24"
        )
    )
    qr.scroll_into_view_if_needed()
    screenshot("esim-qr-code")

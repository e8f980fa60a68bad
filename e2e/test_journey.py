"""The whole journey of one customer in Chromium, through the pages only.

A visitor arrives and rejects cookies, signs up, verifies the email, turns on
two-factor authentication, buys a plan on the simulated processor's hosted
page, installs the eSIM, sees the usage the network partner reports, tops up,
writes to support, downloads everything held about them and closes the
account. The test stands in only for the outside parties: the phone that
downloads the profile from the SM-DP+, the network partner that reports
traffic, and the job consumer. Each step leaves a screenshot in
test-artifacts/journey-*.png.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat
from playwright.sync_api import expect

from e2e.pages import (
    ESSENTIAL_COOKIES,
    cookie_names,
    fill_billing,
    pay_on_hosted_page,
    storage_used,
    watch_analytics,
)
from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core.http import request_json
from roamwise.esims.models import Bundle, Esim
from roamwise.orders.models import Order
from roamwise.support.models import Ticket
from roamwise.testing.helpers import code_in
from roamwise.testing.lines import EID
from roamwise.testing.people import PASSWORD, totp_code
from roamwise.usage.services import partner_create


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Login:").fill(username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


@pytest.mark.browser
@pytest.mark.commitment("CKE-02")
@pytest.mark.commitment("ACC-01")
@pytest.mark.commitment("ACC-03")
@pytest.mark.commitment("SIM-01")
@pytest.mark.commitment("SIM-02")
@pytest.mark.commitment("SIM-03")
@pytest.mark.commitment("SUP-01")
@pytest.mark.commitment("RGT-04")
@pytest.mark.commitment("ACC-05")
def test_a_customer_goes_from_first_visit_to_closing_the_account(
    shop: str, jobs: Any, page: Any, screenshot: Any
) -> None:
    page.set_default_timeout(10_000)
    analytics = watch_analytics(page)

    # 1. First visit: the banner, then "Reject all"; nothing optional is set.
    page.goto(shop + "/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#consent-banner").is_visible()
    screenshot("journey-01-home-banner")
    page.get_by_role("button", name="Reject all").click()
    page.locator("#consent-banner").wait_for(state="detached")
    assert cookie_names(page) <= ESSENTIAL_COOKIES
    assert storage_used(page) == 0
    assert analytics == []

    # 2. Sign up, verify the email, turn on two-factor authentication.
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email:", exact=True).fill("dana@example.com")
    page.get_by_label("Mobile phone number").fill("+44 7911 123456")
    page.get_by_label("Date of birth").fill(date(1990, 5, 17).isoformat())
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    screenshot("journey-02-signup")
    page.get_by_role("button", name="Sign Up").click()
    assert page.url == shop + "/accounts/confirm-email/", page.locator("main").inner_text()
    jobs()
    (message,) = [m for m in mail.outbox if m.to == ["dana@example.com"]]
    # The code from the email, typed in the same tab, signs her in.
    page.get_by_label("Code").fill(code_in(message.body))
    page.get_by_role("button", name="Confirm").click()
    customer = User.objects.get(username="dana")
    screenshot("journey-03-email-verified")
    assert "You have confirmed dana@example.com" in page.content()
    assert page.get_by_role("button", name="Sign out").count() == 1

    page.get_by_role("link", name="My account", exact=True).click()
    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("link", name="Activate").first.click()
    # Turning MFA on asks for the password again, however recent the sign-in.
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    screenshot("journey-04-mfa-activate")
    page.get_by_role("button", name="Activate").click()
    assert "Authenticator app activated." in page.content()
    screenshot("journey-05-mfa-on")

    # Signing in again now takes the password and a code from the app.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, shop, "dana")
    assert "/accounts/2fa/authenticate/" in page.url
    assert page.get_by_role("button", name="Sign out").count() == 0  # not yet signed in
    page.get_by_label("Code").fill(totp_code(secret, step=1))
    screenshot("journey-06-mfa-sign-in")
    page.get_by_role("button", name="Sign In").click()
    assert page.get_by_role("button", name="Sign out").is_visible()

    # 3. Buy a plan for Japan on the processor's hosted page; the eSIM is made.
    page.get_by_label("Search destinations").fill("Japan")
    page.get_by_role("button", name="Search").click()
    # One destination is named exactly: the search goes straight to its page.
    page.wait_for_url("**/destinations/jp/")
    page.get_by_role("link", name="5 GB · 30 days").first.click()
    plan = Plan.objects.get(destination__code="JP", data_mb=5120, validity_days=30)
    assert page.get_by_role("heading", level=1).inner_text() == plan.name
    page.get_by_role("link", name="Buy this plan").click()
    fill_billing(page)
    screenshot("journey-07-checkout")
    page.get_by_role("button", name="Continue to payment").click()
    pay_on_hosted_page(page, screenshot, "journey-08-payment")
    jobs()  # the processor's webhooks, then provisioning over ES2+
    page.reload()  # back from paying, the page follows the order to its eSIM
    assert "/esims/" in page.url
    assert page.locator("#esim-state").inner_text() == "Ready to install"
    esim = Esim.objects.get(order__customer=customer)
    assert page.locator("#matching-id").inner_text() == esim.matching_id
    assert page.locator("svg.esim-qr").is_visible()
    assert (
        page.get_by_role("link", name="Install on iPhone")
        .get_attribute("href")
        .startswith("https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24")
    )
    screenshot("journey-09-esim-ready")

    # 4. The phone downloads the profile from the SM-DP+, which tells the shop.
    answer = request_json(
        "POST",
        f"{shop}/smdp/device/download",
        json={"matchingId": esim.matching_id, "eid": EID, "outcome": "installed"},
    )
    assert answer == {"iccid": esim.iccid, "state": "Installed"}
    jobs()  # the SM-DP+'s download progress notifications
    page.reload()
    assert page.locator("#esim-state").inner_text() == "Installed"
    screenshot("journey-10-esim-installed")

    # 5. The network partner reports a day of traffic on the line, over its API.
    _, key = partner_create(code="journey-net", name="Journey Net", iccid_prefixes=esim.iccid[:7])
    report = io.StringIO()
    call_command("simulate_usage", key=key, url=shop, hours=24, seed=10, stdout=report)
    tally = re.search(
        r"(\d+) sessions sent: (\d+) accepted, 0 duplicates, 0 rejected", report.getvalue()
    )
    assert tally is not None, report.getvalue()
    assert int(tally[1]) == int(tally[2]) > 0
    used = Bundle.objects.get(esim=esim).used_bytes
    assert used > 0
    page.reload()
    assert page.locator("#data-used").inner_text() == filesizeformat(used)
    bars = page.locator("svg.usage-chart rect.usage-bar")
    assert bars.count() == 30
    heights = [float(bars.nth(n).get_attribute("height")) for n in range(30)]
    assert max(heights) > 0 and heights.index(max(heights)) >= 28  # today or yesterday
    page.locator("#usage-heading").scroll_into_view_if_needed()
    screenshot("journey-11-esim-usage")

    # 6. A top-up on the same eSIM, paid on the same hosted page.
    page.get_by_role("link", name="Top up this eSIM").click()
    page.get_by_label("Japan 1 GB · 7 days").check()
    fill_billing(page)
    screenshot("journey-12-top-up")
    page.get_by_role("button", name="Continue to payment").click()
    pay_on_hosted_page(page, screenshot, "journey-13-top-up-payment")
    jobs()  # the payment, then the bundle added on the network
    page.get_by_role("link", name="My eSIMs").click()
    page.get_by_role("link", name=plan.name).first.click()
    page.wait_for_url("**/esims/*/")
    bundles = page.locator("section.usage table").last.locator("tbody tr")
    expect(bundles).to_have_count(2)  # counting does not wait for the page, expect does
    assert [bundles.nth(n).locator("td").first.inner_text() for n in range(bundles.count())] == [
        "Japan 5 GB · 30 days",
        "Japan 1 GB · 7 days",
    ]
    assert bundles.nth(1).locator("td").last.inner_text() == "Active"
    assert page.locator("#data-remaining").inner_text().endswith("of 6.0\xa0GB")
    page.locator("#usage-heading").scroll_into_view_if_needed()
    screenshot("journey-14-esim-topped-up")
    topup = Order.objects.get(customer=customer, plan__data_mb=1024)

    # 7. A question to support about the eSIM's order.
    page.get_by_role("link", name="Support", exact=True).click()
    page.get_by_role("link", name="Write to support").click()
    page.get_by_label("Category").select_option("technical")
    page.get_by_label("Subject").fill("Slow data in Osaka")
    page.get_by_label("Message").fill("The eSIM connects but pages load slowly since this morning.")
    page.get_by_label("About an order (optional)").select_option(str(esim.order.public_id))
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Slow data in Osaka"
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.order == esim.order
    assert ticket.reference in page.content()
    screenshot("journey-15-support-ticket")

    # 8. Everything held, from the privacy center, as a ZIP.
    page.get_by_role("link", name="My account", exact=True).click()
    page.get_by_role("link", name="Privacy center").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy center"
    screenshot("journey-16-privacy-center")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download everything (ZIP)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("roamwise-data-")
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        data = json.loads(archive.read("data.json"))
    assert data["subject"] == {"id": str(customer.public_id), "username": "dana"}
    sources = {source["model"]: source["records"] for source in data["sources"]}
    orders = sources["orders.Order"]
    assert {r["id"] for r in orders} == {str(esim.order.public_id), str(topup.public_id)}
    assert {r["values"]["billing_name"] for r in orders} == {"Dana Traveller"}
    assert [r["values"]["title"] for r in sources["support.Ticket"]] == ["Slow data in Osaka"]

    # 9. Closing the account asks for the password again, then signs out for good.
    page.get_by_role("link", name="My account", exact=True).click()
    page.get_by_role("link", name="Close my account").click()
    assert "/accounts/reauthenticate/" in page.url
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    # Her eSIM is live: she confirms that it stops working when her data goes.
    page.get_by_label("I understand that my eSIM stops working on", exact=False).check()
    page.get_by_label("I understand, close my account").check()
    screenshot("journey-17-close-account")
    page.get_by_role("button", name="Close my account").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your account is closed"
    assert page.get_by_role("link", name="Sign in").is_visible()
    screenshot("journey-18-account-closed")
    sign_in(page, shop, "dana")
    assert page.url == shop + "/accounts/inactive/"
    assert page.get_by_role("heading", level=1).inner_text() == "Account Inactive"
    assert page.get_by_role("button", name="Sign out").count() == 0
    page.goto(shop + "/account/")
    assert page.url.startswith(shop + "/accounts/login/")
    screenshot("journey-19-sign-in-refused")
    assert analytics == []  # rejected on the first visit, nothing was ever sent

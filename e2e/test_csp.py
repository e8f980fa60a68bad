"""The strict Content-Security-Policy in Chromium: nothing inline is left.

Chromium enforces the policy the site sends, so any inline script or style,
eval, or a resource from elsewhere is refused and reported. The test visits the
main pages as a visitor, a buyer and staff (the back office included), and
fails on any report: a ``securitypolicyviolation`` event or Chromium's
"Refused to ..." console message (SEC-07, SEC-01).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.support import services as support
from roamwise.testing.helpers import run_jobs
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code

# Runs before any page script, outside the page's CSP (Playwright injects it).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " blocked " +
                (event.blockedURI || "inline") + " in " + event.documentURI);
});
"""


class Violations:
    def __init__(self, page: Any) -> None:
        self.seen: list[str] = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            self.seen.append(text)


def settle(page: Any) -> None:
    """Let the page's scripts and their requests run; a busy machine may not
    reach network idle soon, and the load event has passed already."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=10_000)


def visit(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    settle(page)


def sign_in(page: Any, shop: str, client: Client) -> None:
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.commitment("SEC-07")
def test_visitor_pages_run_under_the_policy_without_violations(
    shop: str, page: Any, screenshot: Any
) -> None:
    violations = Violations(page)
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)

    visit(page, f"{shop}/")
    assert page.locator("#consent-banner").is_visible()
    page.get_by_role("button", name="Reject all").click()  # the banner's script posts it
    page.locator("#consent-banner").wait_for(state="detached")
    visit(page, f"{shop}/cookies/")
    page.get_by_role("button", name="Save my choices").click()
    settle(page)
    visit(page, f"{shop}/destinations/{plan.destination.slug}/")
    visit(page, f"{shop}/plans/{plan.public_id}/")
    visit(page, f"{shop}/accounts/login/")
    visit(page, f"{shop}/accounts/signup/")
    visit(page, f"{shop}/accounts/password/reset/")
    visit(page, f"{shop}/support/new/")
    visit(page, f"{shop}/privacy/")
    visit(page, f"{shop}/devices/compatibility/")
    # The API docs: Swagger UI from our own static files.
    visit(page, f"{shop}/api/docs")
    page.locator(".swagger-ui .info").wait_for()
    visit(page, f"{shop}/_allauth/openapi.html")
    page.locator(".swagger-ui .info").wait_for()
    screenshot("csp-api-docs")

    assert violations.seen == []


@pytest.mark.browser
@pytest.mark.commitment("SEC-07")
def test_a_buyer_pays_installs_and_writes_to_support_without_violations(
    shop: str, page: Any, screenshot: Any
) -> None:
    violations = Violations(page)
    customer = make_customer("cspbuyer")
    client = Client()
    client.force_login(customer)
    sign_in(page, shop, client)
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)

    # Checkout, then the hosted payment page: the checkout form's redirect to
    # the payment page and the payment page's redirect back pass form-action.
    visit(page, f"{shop}/checkout/{plan.public_id}/")
    page.get_by_label("Name on the bill").fill("Buyer Example")
    page.locator("#id_line1").fill("1 Shibuya Crossing")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("N1 9GU")
    page.get_by_label("Country").select_option("GB")
    page.locator("#id_accept_terms").check()
    page.locator("#id_waive_withdrawal").check()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/gateway/pay/**")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")

    run_jobs()  # the processor's webhooks, then provisioning over ES2+
    order = Order.objects.get(customer=customer)
    visit(page, f"{shop}/orders/{order.public_id}/")
    visit(page, f"{shop}/esims/{order.esim.public_id}/")
    assert page.locator("svg.esim-qr").is_visible()
    screenshot("csp-esim")
    visit(page, f"{shop}/esims/{order.esim.public_id}/top-up/")

    # Support: the ticket page polls its thread with a script.
    ticket = support.ticket_open(
        customer=customer, category="technical", title="No data", body="Since landing."
    )
    visit(page, f"{shop}/support/tickets/{ticket.public_id}/")
    page.wait_for_timeout(4_500)  # one poll of the thread
    visit(page, f"{shop}/notifications/")
    visit(page, f"{shop}/account/")
    # TOTP set-up shows its QR code as a data: image.
    visit(page, f"{shop}/accounts/2fa/totp/activate/")
    page.locator("input[name=password]").fill(PASSWORD)  # recent sign-in needed first
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    settle(page)
    assert page.locator("img[src^='data:']").count() == 1

    assert violations.seen == []


@pytest.mark.browser
@pytest.mark.commitment("SEC-07")
def test_the_back_office_runs_under_the_policy_without_violations(
    shop: str, page: Any, screenshot: Any
) -> None:
    violations = Violations(page)
    customer = make_customer("csptraveller")
    staff = make_customer("cspstaff", is_staff=True, is_superuser=True)
    secret = enable_totp(staff)
    client = Client()
    client.post("/accounts/login/", {"login": "cspstaff", "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    sign_in(page, shop, client)
    ticket = support.ticket_open(
        customer=customer, category="question", title="Roaming", body="Peru?"
    )
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)

    visit(page, f"{shop}/admin/")
    visit(page, f"{shop}/admin/support/ticket/")
    # The change list's JavaScript: select all rows, then the actions bar counts them.
    page.locator("#action-toggle").check()
    assert "1 of 1 selected" in page.locator(".action-counter").inner_text()
    screenshot("csp-back-office")
    visit(page, f"{shop}/admin/support/ticket/{ticket.pk}/change/")
    page.locator("#canned").wait_for()
    visit(page, f"{shop}/admin/accounts/user/")
    visit(page, f"{shop}/admin/accounts/user/{customer.pk}/change/")
    visit(page, f"{shop}/admin/catalog/plan/")
    visit(page, f"{shop}/admin/catalog/plan/{plan.pk}/change/")
    visit(page, f"{shop}/admin/catalog/plan/add/")
    visit(page, f"{shop}/admin/orders/order/")
    visit(page, f"{shop}/admin/records-of-processing/")
    visit(page, f"{shop}/admin/analytics/")

    assert violations.seen == []

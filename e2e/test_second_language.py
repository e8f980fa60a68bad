"""A traveller who reads German: the shop answers their browser's
Accept-Language, they choose euros, find Germany by its German name, buy on
the processor's hosted page and see their eSIM, every page in German. On each
page of ours axe-core (injected by the test, past the page's CSP) finds no
serious or critical accessibility violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from e2e.conftest import ARTIFACTS
from roamwise.accounts.models import User
from roamwise.orders.models import Order
from roamwise.testing.helpers import run_jobs
from roamwise.testing.people import make_customer

BLOCKING = {"serious", "critical"}


@pytest.fixture
def german(browser: Any) -> Iterator[Any]:
    # bypass_csp: only so that the test can inject axe-core; the shop's own
    # scripts run under the policy as in test_csp.py.
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, locale="de-DE", bypass_csp=True
    )
    yield context.new_page()
    context.close()


class Accessibility:
    """axe-core on each page visited; what it finds, by page."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.found: list[tuple[str, str, str, int]] = []
        self.checked: list[str] = []

    def check(self, page: Any) -> None:
        results = self.axe.run(page)
        path = urlsplit(page.url).path or page.url
        self.checked.append(path)
        for violation in results.response["violations"]:
            if violation.get("impact") in BLOCKING:
                self.found.append(
                    (path, violation["id"], violation["impact"], len(violation["nodes"]))
                )


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_a_german_reader_browses_buys_and_installs_in_german_with_no_serious_barrier(
    shop: str, german: Any
) -> None:
    page = german
    axe = Accessibility()

    # First visit: German from the browser's Accept-Language.
    page.goto(shop + "/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("link", name="Konto erstellen").is_visible()
    axe.check(page)  # with the cookie banner open
    page.get_by_role("button", name="Alle ablehnen").click()
    page.locator("#consent-banner").wait_for(state="detached")

    # Euros, chosen in the footer.
    page.locator("#footer-currency").select_option("EUR")
    page.locator(".currency-form button").click()
    page.wait_for_load_state()

    # Germany by its German name: one match goes straight to its page.
    page.get_by_label("Wohin reisen Sie?").fill("Deutschland")
    page.get_by_role("button", name="Tarife finden").click()
    page.wait_for_url("**/destinations/**")
    assert "Deutschland" in page.get_by_role("heading", level=1).inner_text()
    assert "€" in page.locator("main").inner_text()
    axe.check(page)
    _shot(page, "de-destination")

    page.locator("main a[href^='/plans/']").first.click()
    page.wait_for_url("**/plans/**")
    assert "€" in page.locator(".price").first.inner_text()
    axe.check(page)

    page.goto(shop + "/help/")
    axe.check(page)
    page.goto(shop + "/terms/")
    axe.check(page)
    page.goto(shop + "/accounts/login/")
    axe.check(page)
    page.goto(shop + "/accounts/signup/")
    axe.check(page)

    # Signed in (a German customer), back to the plan, and buy it.
    customer = make_customer("greta")
    User.objects.filter(pk=customer.pk).update(language="de")
    client = Client()
    client.force_login(customer)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )
    page.go_back()
    page.go_back()
    page.go_back()
    page.go_back()
    page.wait_for_url("**/plans/**")
    page.reload()
    page.get_by_role("link", name="Diesen Tarif kaufen").click()
    page.wait_for_url("**/checkout/**")
    assert "€" in page.locator("main").inner_text()
    page.get_by_label("Name auf der Rechnung").fill("Greta Beispiel")
    page.locator("#id_line1").fill("Unter den Linden 1")
    page.locator("#id_city").fill("Berlin")
    page.locator("#id_postcode").fill("10117")
    page.locator("#id_country").select_option("DE")
    page.locator("#id_accept_terms").check()
    page.locator("#id_waive_withdrawal").check()
    axe.check(page)
    _shot(page, "de-checkout")
    page.get_by_role("button", name="Weiter zur Zahlung").click()

    # The processor's hosted page is theirs (not checked here).
    page.wait_for_url("**/gateway/pay/**")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")
    run_jobs()  # the processor's webhooks, then the eSIM's provisioning
    page.reload()

    # Back from paying: the eSIM, ready to install, in German.
    assert "/esims/" in page.url
    order = Order.objects.get(customer=customer)
    assert order.currency == "EUR"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("svg.esim-qr").is_visible()
    axe.check(page)
    _shot(page, "de-esim")

    for path in (
        f"/orders/{order.public_id}/",
        "/orders/",
        "/esims/",
        "/account/",
        "/rights/",
        "/support/new/",
        "/notifications/",
    ):
        page.goto(shop + path)
        assert page.locator("html").get_attribute("lang") == "de"
        axe.check(page)

    assert len(axe.checked) >= 15
    assert axe.found == [], axe.found

    # The check itself sees a barrier when there is one: an image with no text.
    page.set_content('<html lang="de"><body><main><img src="x.png"></main></body></html>')
    probe = Accessibility()
    probe.check(page)
    assert ("image-alt", "critical") in [(rule, impact) for _, rule, impact, _ in probe.found]

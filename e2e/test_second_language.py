"""Travellers who read German or Japanese: the shop answers their browser's
Accept-Language, they choose euros or yen, find their destination by its name
in their language, buy on the processor's hosted page and see their eSIM,
every page in their language. On the twenty main pages of ours (and on the
Japanese journey, on a 390 x 844 phone and on a desktop) axe-core, injected by
the test past the page's CSP, finds no serious or critical accessibility
violation. Screenshots go to test-artifacts/. One browser context per
language and one purchase each keep the tests quick."""

from __future__ import annotations

import re
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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


@pytest.fixture
def german(browser: Any) -> Iterator[Any]:
    # bypass_csp: only so that the test can inject axe-core; the shop's own
    # scripts run under the policy as in test_csp.py.
    context = browser.new_context(viewport=DESKTOP, locale="de-DE", bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def japanese(browser: Any) -> Iterator[Any]:
    # One context for the phone and the desktop: the viewport changes, the
    # session and its choices (yen, the cookie answer) stay.
    context = browser.new_context(viewport=PHONE, locale="ja-JP", bypass_csp=True)
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


def _sign_in(page: Any, shop: str, customer: User) -> None:
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


def _pay(page: Any) -> None:
    """The processor's hosted page is theirs (not checked here)."""
    page.wait_for_url("**/gateway/pay/**")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/**")
    run_jobs()  # the processor's webhooks, then the eSIM's provisioning
    page.reload()


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
    plan_url = page.url

    # The other main pages a visitor reads.
    for path in (
        "/destinations/",
        "/destinations/?q=Vereinigte",
        "/help/",
        "/help/install/iphone/",
        "/devices/compatibility/",
        "/terms/",
        "/privacy/",
        "/cookies/policy/",
        "/company/",
        "/support/new/",
        "/accounts/login/",
        "/accounts/signup/",
    ):
        response = page.goto(shop + path)
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "de"
        if "?q=" in path:  # several matches: the results page, not one destination
            assert "?q=" in page.url and page.locator("main a[href^='/destinations/']").count() > 1
        axe.check(page)

    # Signed in (a German customer), back to the plan, and buy it.
    customer = make_customer("greta")
    User.objects.filter(pk=customer.pk).update(language="de")
    _sign_in(page, shop, customer)
    page.goto(plan_url)
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
    _pay(page)

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
        "/notifications/",
    ):
        page.goto(shop + path)
        assert page.locator("html").get_attribute("lang") == "de"
        axe.check(page)

    assert len(axe.checked) >= 20, axe.checked
    assert axe.found == [], axe.found

    # The check itself sees a barrier when there is one: an image with no text.
    page.set_content('<html lang="de"><body><main><img src="x.png"></main></body></html>')
    probe = Accessibility()
    probe.check(page)
    assert ("image-alt", "critical") in [(rule, impact) for _, rule, impact, _ in probe.found]


# A yen amount as the shop shows it: the sign and whole yen, never "¥1,200.00".
YEN = re.compile(r"[¥￥]\s?\d[\d,]*(?![.\d])")


@pytest.mark.browser
def test_a_japanese_reader_buys_in_yen_on_a_phone_and_sees_it_on_a_desktop(
    shop: str, japanese: Any
) -> None:
    page = japanese
    axe = Accessibility()

    # On a phone: Japanese from the browser's Accept-Language.
    page.goto(shop + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    axe.check(page)  # with the cookie banner open
    _shot(page, "ja-phone-home")
    page.get_by_role("button", name="すべて拒否").click()
    page.locator("#consent-banner").wait_for(state="detached")

    # Yen, chosen in the footer.
    page.locator("#footer-currency").select_option("JPY")
    page.locator(".currency-form button").click()
    page.wait_for_load_state()

    # Japan by its Japanese name: one match goes straight to its page.
    page.get_by_label("どちらへご旅行ですか?").fill("日本")
    page.get_by_role("button", name="プランを探す").click()
    page.wait_for_url("**/destinations/**")
    assert "日本" in page.get_by_role("heading", level=1).inner_text()
    main = page.locator("main").inner_text()
    assert YEN.search(main) and ".00" not in main
    axe.check(page)
    _shot(page, "ja-phone-destination")

    page.locator("main a[href^='/plans/']").first.click()
    page.wait_for_url("**/plans/**")
    assert YEN.fullmatch(page.locator(".price").first.inner_text().strip())
    axe.check(page)
    _shot(page, "ja-phone-plan")
    plan_url = page.url

    # Signed in (a Japanese customer), and buy it.
    customer = make_customer("kenji")
    User.objects.filter(pk=customer.pk).update(language="ja")
    _sign_in(page, shop, customer)
    page.goto(plan_url)
    page.get_by_role("link", name="このプランを購入").click()
    page.wait_for_url("**/checkout/**")
    assert YEN.search(page.locator("main").inner_text())
    page.get_by_label("請求書の宛名").fill("山田 健二")
    page.locator("#id_line1").fill("千代田1-1")
    page.locator("#id_city").fill("千代田区")
    page.locator("#id_postcode").fill("100-0001")
    page.locator("#id_country").select_option("JP")
    page.locator("#id_accept_terms").check()
    page.locator("#id_waive_withdrawal").check()
    axe.check(page)
    _shot(page, "ja-phone-checkout")
    page.get_by_role("button", name="お支払いへ進む").click()
    _pay(page)

    # Back from paying: the eSIM, ready to install, in Japanese; charged in
    # whole yen.
    assert "/esims/" in page.url
    order = Order.objects.get(customer=customer)
    assert order.currency == "JPY"
    assert order.total == order.total.to_integral_value()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("svg.esim-qr").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    axe.check(page)
    _shot(page, "ja-phone-esim")
    esim_url = page.url

    # The same session on a desktop.
    page.set_viewport_size(DESKTOP)
    for url, name in (
        (plan_url, "ja-desktop-plan"),
        (f"{shop}/orders/{order.public_id}/", "ja-desktop-order"),
        (esim_url, "ja-desktop-esim"),
    ):
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "ja"
        assert YEN.search(page.locator("main").inner_text()) or "esims" in url
        axe.check(page)
        _shot(page, name)

    assert axe.found == [], axe.found

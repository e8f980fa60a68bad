"""The shop on a phone: at 390 x 844 no storefront page scrolls sideways, and
the header's links sit behind a menu button that opens them and leads there."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from e2e.conftest import ARTIFACTS
from roamwise.catalog.models import Plan
from roamwise.support import services as support
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import buy

PHONE = {"width": 390, "height": 844}


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()


def _overflow(page: Any, url: str) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits)."""
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response.status}"
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return max(0, int(width) - PHONE["width"])


def _wide(page: Any, shop: str, paths: list[str]) -> dict[str, int]:
    found = {path: _overflow(page, shop + path) for path in paths}
    return {path: px for path, px in found.items() if px}


@pytest.mark.browser
def test_no_storefront_page_scrolls_sideways_on_a_phone(shop: str, browser: Any, jobs: Any) -> None:
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)
    regional = Plan.objects.filter(destination__kind="region").first()
    customer = make_customer("phoneuser")
    client = Client()
    client.force_login(customer)
    order = buy(client, plan, jobs)  # paid, provisioned over ES2+
    ticket = support.ticket_open(
        customer=customer, category="technical", title="No data", body="Since landing."
    )
    page = _phone(browser)
    page.goto(shop + "/")
    page.get_by_role("button", name="Reject all").click()
    page.locator("#consent-banner").wait_for(state="detached")

    visitor = [
        "/",
        "/destinations/",
        f"/destinations/{plan.destination.slug}/",
        f"/plans/{plan.public_id}/",
        "/help/",
        "/help/install/iphone/",
        "/terms/",
        "/company/",
        "/privacy/",
        "/cookies/",
        "/cookies/policy/",
        "/devices/compatibility/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/support/new/",
        "/rights/request/",
        "/destinations/?q=bali",
    ]
    if regional is not None:
        visitor.append(f"/destinations/{regional.destination.slug}/")
    assert _wide(page, shop, visitor) == {}

    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )
    customer_pages = [
        "/",
        "/account/",
        "/rights/",
        "/rights/correction/",
        "/rights/erase/",
        "/account/close/",
        "/orders/",
        f"/orders/{order.public_id}/",
        f"/orders/{order.public_id}/invoice/",
        f"/checkout/{plan.public_id}/",
        "/esims/",
        f"/esims/{order.esim.public_id}/",
        f"/esims/{order.esim.public_id}/top-up/",
        "/support/",
        f"/support/tickets/{ticket.public_id}/",
        "/notifications/",
    ]
    assert _wide(page, shop, customer_pages) == {}
    page.goto(f"{shop}/esims/{order.esim.public_id}/")
    _shot(page, "phone-esim")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_the_header_menu_opens_on_a_phone_and_its_links_work(shop: str, browser: Any) -> None:
    customer = make_customer("menuuser")
    client = Client()
    client.force_login(customer)
    page = _phone(browser)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": shop,
            }
        ]
    )
    page.goto(shop + "/")
    page.get_by_role("button", name="Reject all").click()
    page.locator("#consent-banner").wait_for(state="detached")
    menu = page.get_by_role("button", name="Menu")
    orders = page.get_by_role("link", name="Orders", exact=True)
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not orders.is_visible()

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert orders.is_visible()
    assert page.get_by_role("link", name="My account", exact=True).is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    _shot(page, "phone-menu-open")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    # Escape closes it and gives the focus back to the button.
    page.keyboard.press("Escape")
    assert not orders.is_visible()
    assert page.evaluate("document.activeElement.className") == "menu-toggle"

    menu.click()
    orders.click()
    page.wait_for_url("**/orders/")
    assert page.get_by_role("heading", level=1).is_visible()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    page.get_by_role("link", name="My eSIMs").click()
    page.wait_for_url("**/esims/")

    # On a desktop screen there is no button: the links are in the header.
    desktop = page.context.browser.new_context(viewport={"width": 1200, "height": 900})
    wide = desktop.new_page()
    wide.goto(shop + "/")
    assert wide.get_by_role("button", name="Menu").count() == 0 or not (
        wide.get_by_role("button", name="Menu").is_visible()
    )
    assert wide.get_by_role("link", name="Sign in").is_visible()
    desktop.close()

"""What the browser tests look at in a page (cookies, storage, analytics calls)
and what they do on the way: the billing form, the processor's hosted page."""

from __future__ import annotations

from typing import Any

ESSENTIAL_COOKIES = {"csrftoken", "sessionid", "rw_consent"}


def watch_analytics(page: Any) -> list[str]:
    """Every request the page makes for analytics: the script or a beacon."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: seen.append(request.url) if "analytics" in request.url else None,
    )
    return seen


def cookie_names(page: Any) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def storage_used(page: Any) -> int:
    return page.evaluate("() => window.localStorage.length + window.sessionStorage.length")


# The checkout's billing form as a traveller in London fills it.
BILLING = {
    "Name on the bill": "Dana Traveller",
    "Town or city": "London",
    "Postcode": "N1 9GU",
}


def fill_billing(page: Any) -> None:
    for label, value in BILLING.items():
        page.get_by_label(label).fill(value)
    page.locator("#id_line1").fill("1 Upper Street")
    page.get_by_label("Country").select_option("GB")
    page.locator("#id_accept_terms").check()
    page.locator("#id_waive_withdrawal").check()


def pay_on_hosted_page(page: Any, screenshot: Any, name: str) -> None:
    page.wait_for_url("**/gateway/pay/**")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("34")
    page.get_by_label("CVC").fill("123")
    screenshot(name)
    page.get_by_role("button", name="Pay").click()
    assert "confirming your payment" in page.content()

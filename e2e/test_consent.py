"""The cookie banner in Chromium: nothing optional before a choice, rejecting as
easy as accepting, and analytics only after "Accept all" (CKE-02, AUT-02)."""

from __future__ import annotations

from typing import Any

import pytest

from roamwise.analytics.models import Event
from roamwise.catalog.services import catalog_load_demo
from roamwise.consent.models import ConsentRecord

from .pages import ESSENTIAL_COOKIES, cookie_names, storage_used, watch_analytics


def banner_click(page: Any, label: str) -> int:
    """Click a banner button; return how many clicks it took to be done with the banner."""
    clicks = 0
    page.get_by_role("button", name=label).click()
    clicks += 1
    page.locator("#consent-banner").wait_for(state="detached")
    return clicks


@pytest.mark.browser
@pytest.mark.commitment("CKE-02")
@pytest.mark.commitment("AUT-02")
def test_first_visit_and_reject_all_keep_everything_optional_off(
    live_server: Any, transactional_db: None, page: Any, screenshot: Any
) -> None:
    catalog_load_demo()
    base = live_server.url
    analytics = watch_analytics(page)

    page.goto(base + "/")
    page.wait_for_load_state("networkidle")

    assert page.locator("#consent-banner").is_visible()
    screenshot("consent-banner")
    accept = page.get_by_role("button", name="Accept all").bounding_box()
    reject = page.get_by_role("button", name="Reject all").bounding_box()
    choose = page.get_by_role("link", name="Choose").bounding_box()
    assert (accept["width"], accept["height"]) == (reject["width"], reject["height"])
    assert (choose["width"], choose["height"]) == (reject["width"], reject["height"])
    assert cookie_names(page) <= ESSENTIAL_COOKIES and "rw_consent" not in cookie_names(page)
    assert storage_used(page) == 0
    assert analytics == []

    reject_clicks = banner_click(page, "Reject all")
    for path in ("/destinations/", "/destinations/jp/", "/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("#consent-banner").count() == 0
        footer = page.get_by_role("navigation", name="More")
        assert footer.get_by_role("link", name="Cookie settings").is_visible()

    assert analytics == []
    assert cookie_names(page) <= ESSENTIAL_COOKIES
    assert storage_used(page) == 0
    assert Event.objects.count() == 0
    assert set(ConsentRecord.objects.values_list("granted", flat=True)) == {False}
    assert reject_clicks == 1


@pytest.mark.browser
@pytest.mark.commitment("CKE-02")
@pytest.mark.commitment("AUT-02")
def test_accept_all_turns_analytics_on_in_as_many_clicks(
    live_server: Any, transactional_db: None, page: Any
) -> None:
    catalog_load_demo()
    base = live_server.url
    analytics = watch_analytics(page)
    page.goto(base + "/")

    with page.expect_request(lambda r: r.url.endswith("/analytics/collect")):
        accept_clicks = banner_click(page, "Accept all")
    with page.expect_request(lambda r: r.url.endswith("/analytics/collect")):
        page.goto(base + "/destinations/jp/")
    page.wait_for_load_state("networkidle")
    with page.expect_request(lambda r: r.url.endswith("/analytics/collect")):
        page.get_by_role("navigation", name="More").get_by_role(
            "link", name="Privacy policy"
        ).click()
    page.wait_for_load_state("networkidle")

    assert accept_clicks == 1  # the same as rejecting
    assert any(url.endswith("analytics.js") for url in analytics)
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"pageview", "click"} <= kinds
    assert Event.objects.filter(step="destination", destination="jp").exists()
    assert cookie_names(page) <= ESSENTIAL_COOKIES  # analytics needs no cookie of its own
    assert storage_used(page) == 0


@pytest.mark.browser
@pytest.mark.commitment("CKE-02")
def test_the_banner_works_without_javascript(
    live_server: Any, transactional_db: None, browser: Any
) -> None:
    catalog_load_demo()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/destinations/")
        page.get_by_role("button", name="Reject all").click()
        page.wait_for_load_state()

        assert page.url == live_server.url + "/destinations/"
        assert page.locator("#consent-banner").count() == 0
        assert ConsentRecord.objects.filter(source="banner", granted=False).count() == 6
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.commitment("CKE-03")
def test_a_browser_sending_gpc_is_told_so(
    live_server: Any, transactional_db: None, browser: Any
) -> None:
    catalog_load_demo()
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert "Global Privacy Control" in page.locator("#consent-banner").inner_text()
        banner_click(page, "Accept all")
        page.goto(live_server.url + "/cookies/")
        assert page.get_by_label("Personalised recommendations").is_disabled()
        assert not page.get_by_label("Marketing", exact=True).is_checked()
        assert page.get_by_label("Analytics").is_checked()
    finally:
        context.close()

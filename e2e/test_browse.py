from __future__ import annotations

import pytest

from roamwise.catalog.services import catalog_load_demo


@pytest.mark.browser
@pytest.mark.commitment("ORD-01")
def test_visitor_searches_a_country_and_opens_a_plan(
    live_server: object, transactional_db: None, page: object, screenshot: object
) -> None:
    catalog_load_demo()
    base = live_server.url  # type: ignore[attr-defined]

    page.goto(base + "/")  # type: ignore[attr-defined]
    page.get_by_label("Where are you travelling?").fill("Japan")  # type: ignore[attr-defined]
    # A query naming one destination goes straight to it.
    page.get_by_role("button", name="Find plans").click()  # type: ignore[attr-defined]
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .endswith(  # type: ignore[attr-defined]
            "eSIM data plans for Japan"
        )
    )
    screenshot("destination-japan")

    page.get_by_role("link", name="5 GB · 30 days").first.click()  # type: ignore[attr-defined]

    heading = page.get_by_role("heading", level=1).inner_text()  # type: ignore[attr-defined]
    assert heading == "Japan 5 GB · 30 days"
    body = page.locator("main").inner_text()  # type: ignore[attr-defined]
    assert "$16.00" in body
    assert "NTT docomo" in body
    path = screenshot("plan-japan-5gb")
    assert path.stat().st_size > 10_000

"""A retailer's walk through the back office in Chromium: sign in with a
password and a code from the authenticator app, preview and apply the pricing
rules, create a promotion code, read the sales report and download its CSV,
and take plans off sale from the plan list. A screenshot of each step lands
in ``test-artifacts/`` (two of them are the README's)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from roamwise.catalog.models import Plan
from roamwise.pricing.models import PriceRun
from roamwise.promotions.models import Promotion
from roamwise.testing.factories import source_costing
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code
from roamwise.testing.shopping import paid_order

# Three plans supplied by a wholesaler, with what it charges for each.
COSTS = {"DE": "2.00", "IT": "2.50", "ES": "3.00"}


def cheapest(country: str) -> Plan:
    plan = Plan.objects.filter(destination__code=country, is_active=True).order_by("price").first()
    assert plan is not None
    return plan


@pytest.mark.browser
def test_a_retailer_prices_promotes_reports_and_takes_plans_off_sale(
    shop: str, page: Any, screenshot: Any
) -> None:
    page.set_default_timeout(15_000)
    # The demo's 35 % markup rounded to .99 (and SUMMER10); the wholesaler's costs.
    call_command("selling_demo", stdout=StringIO())
    plans = {country: cheapest(country) for country in COSTS}
    for country, cost in COSTS.items():
        source_costing(plans[country], cost)
    # Sales to report: two in Germany, one in Italy.
    buyer = make_customer("rita")
    for country in ("DE", "DE", "IT"):
        paid_order(buyer, plans[country])
    owner = make_customer("owner", is_staff=True, is_superuser=True)
    secret = enable_totp(owner)

    # 1. Sign in: the password, then a code from the authenticator app.
    page.goto(f"{shop}/admin/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Login:").fill("owner")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.get_by_label("Code").fill(totp_code(secret, step=1))
    screenshot("back-office-01-sign-in-code")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    page.goto(f"{shop}/admin/")
    assert page.url == f"{shop}/admin/"
    screenshot("back-office-02-index")

    # 2. Pricing: the preview lists every price that would change, then applies them.
    page.goto(f"{shop}/admin/pricing/pricingrule/")
    page.get_by_role("link", name="Preview and apply prices").click()
    changes = page.locator("#price-changes tbody tr")
    assert changes.count() == len(COSTS)
    germany = page.locator(f"#price-changes tr[data-plan='{plans['DE'].pk}']")
    assert "2.99" in germany.inner_text()  # 2.00 + 35 % = 2.70, up to .99
    screenshot("back-office-03-pricing-preview")
    page.get_by_label("Reason").fill("Autumn prices: 35 % over cost")
    page.get_by_role("button", name="Apply these prices").click()
    assert "3 prices changed." in page.locator(".messagelist").inner_text()
    screenshot("back-office-04-price-changes")
    plans["DE"].refresh_from_db()
    assert plans["DE"].price == Decimal("2.99")
    assert PriceRun.objects.get().reason == "Autumn prices: 35 % over cost"

    # 3. A promotion code: 15 % off, 100 uses, once per customer.
    page.goto(f"{shop}/admin/promotions/promotion/add/")
    page.locator("#id_name").fill("Autumn fifteen")
    page.locator("#id_code").fill("autumn15")
    page.locator("#id_kind").select_option("percent")
    page.locator("#id_percent").fill("15")
    page.locator("#id_max_uses").fill("100")
    page.locator("#id_max_uses_per_customer").fill("1")
    screenshot("back-office-05-promotion-code")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    promotion = Promotion.objects.get(code="AUTUMN15")
    assert (promotion.percent, promotion.max_uses) == (Decimal("15"), 100)
    assert "AUTUMN15" in page.locator("#result_list").inner_text()

    # 4. The sales report, by destination, and the same rows as CSV.
    page.goto(f"{shop}/admin/reports/")
    # The reports are pages of the site: its cookie banner asks once.
    page.get_by_role("button", name="Reject all").click()
    page.locator("#consent-banner").wait_for(state="detached")
    page.get_by_role("link", name="Sales, refunds, disputes and margin").click()
    page.get_by_label("Grouped by").select_option("destination")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**by=destination**")
    table = page.locator("#report").inner_text()
    assert "Germany" in table and "Italy" in table
    assert "rita" not in page.content()  # aggregates only
    screenshot("back-office-06-sales-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    saved = Path(download.value.path())
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    by_group = {row["Group"]: row for row in rows if int(row["Orders"])}
    assert sorted(by_group) == ["Germany", "Italy"]
    assert int(by_group["Germany"]["Orders"]) == 2
    # Sold before the new prices: at the old price, less what the wholesaler charged.
    assert Decimal(by_group["Germany"]["Margin at sale"]) > 0

    # 5. The plan list's bulk action: take the Spanish plan off sale.
    page.goto(f"{shop}/admin/catalog/plan/?q={plans['ES'].name}")
    page.locator(f"input[name='_selected_action'][value='{plans['ES'].pk}']").check()
    page.locator("select[name='action']").select_option("deactivate")
    page.get_by_role("button", name="Go").click()
    assert "1 plan taken off sale." in page.locator(".messagelist").inner_text()
    screenshot("back-office-07-plan-bulk-action")
    plans["ES"].refresh_from_db()
    assert not plans["ES"].is_active

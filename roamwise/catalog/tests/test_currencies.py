"""Prices in the visitor's currency: a price set per currency beats the rate
table, the table rounds by its rule, the currency follows the country (with
consent) and can be chosen on any page (ADR 0027)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.urls import reverse

from roamwise.accounts.models import Profile
from roamwise.catalog import services
from roamwise.catalog.currency import currency_of_country
from roamwise.catalog.models import CurrencyRate, Plan, PlanPrice
from roamwise.catalog.pricing import CurrencyUnavailable, plan_price, plan_prices
from roamwise.core.money import Money, Rounding
from roamwise.core.tests.querycount import queries
from roamwise.testing.people import PASSWORD, make_customer

pytestmark = pytest.mark.django_db

FRENCH_IP = "81.56.0.1"


def changed() -> None:
    """What the back office does after a write: the next reader sees it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.catalog_changed()


@pytest.fixture
def france(catalog: None) -> Plan:
    plan = Plan.objects.get(destination__code="FR", data_mb=5120)
    Plan.objects.filter(pk=plan.pk).update(price=Decimal("5.00"))
    plan.refresh_from_db()
    CurrencyRate.objects.filter(currency="EUR").update(rate=Decimal("0.92"), rounding="end_99")
    CurrencyRate.objects.filter(currency="JPY").update(rate=Decimal("150"), rounding="whole")
    changed()
    return plan


def test_the_rate_table_converts_and_rounds_to_99(france: Plan) -> None:
    # 5.00 USD x 0.92 = 4.60 EUR, up to 4.99; 5.00 x 150 = 750 whole yen.
    assert plan_price(plan=france, currency="EUR") == Money(Decimal("4.99"), "EUR")
    assert plan_price(plan=france, currency="JPY") == Money(Decimal("750"), "JPY")
    assert plan_price(plan=france, currency="USD") == Money(Decimal("5.00"), "USD")


def test_a_price_set_for_a_currency_beats_the_rate_table(france: Plan) -> None:
    other = Plan.objects.filter(destination__code="FR").exclude(pk=france.pk).first()
    assert other is not None
    Plan.objects.filter(pk=other.pk).update(price=Decimal("10.00"))
    other.refresh_from_db()
    PlanPrice.objects.create(plan=france, currency="EUR", amount=Decimal("3.50"))

    prices = plan_prices(plans=[france, other], currency="EUR")

    assert prices[france.pk] == Money(Decimal("3.50"), "EUR")
    # The plan without one still follows the table: 10.00 x 0.92 = 9.20, up to 9.99.
    assert prices[other.pk] == Money(Decimal("9.99"), "EUR")


def test_a_change_to_the_rate_shows_on_the_next_page(client: Client, france: Plan) -> None:
    client.cookies[settings.CURRENCY_COOKIE_NAME] = "EUR"
    assert "€4.99" in client.get(f"/plans/{france.public_id}/").content.decode()

    CurrencyRate.objects.filter(currency="EUR").update(rate=Decimal("1.10"))
    changed()

    # 5.00 x 1.10 = 5.50, up to 5.99: on the plan's page and its destination's.
    page = client.get(f"/plans/{france.public_id}/").content.decode()
    assert "€5.99" in page and "€4.99" not in page
    assert f'{france.public_id}/">5 GB' in client.get("/destinations/fr/").content.decode()
    card = client.get("/destinations/fr/").content.decode().split(f"{france.public_id}/")[1]
    price = card.split('<p class="price">')[1].split("</p>")[0]
    assert price.startswith("€5.99")


def test_a_currency_not_sold_or_not_a_currency_is_refused_with_the_choices(
    france: Plan,
) -> None:
    with pytest.raises(CurrencyUnavailable, match="not offered in CHF; use one of USD, EUR"):
        plan_price(plan=france, currency="CHF")
    with pytest.raises(CurrencyUnavailable, match="XYZ is not a currency code"):
        plan_price(plan=france, currency="XYZ")


def test_the_currency_follows_the_country_only_with_location_consent(
    client: Client, france: Plan
) -> None:
    assert (currency_of_country("DE"), currency_of_country("JP")) == ("EUR", "JPY")
    assert currency_of_country("GB") == "GBP"
    page = f"/plans/{france.public_id}/"

    assert "$5.00" in client.get(page, REMOTE_ADDR=FRENCH_IP).content.decode()
    client.post("/consent/choose/", {"choice": "reject_all"})
    client.post("/cookies/", {"location": "on"})

    assert "€4.99" in client.get(page, REMOTE_ADDR=FRENCH_IP).content.decode()


def test_the_currency_is_chosen_on_any_page_and_kept_on_the_profile(france: Plan) -> None:
    alice = make_customer("alice")
    browser = Client()
    browser.force_login(alice)
    page = f"/plans/{france.public_id}/"
    assert 'id="footer-currency"' in browser.get(page).content.decode()  # on every page

    chosen = browser.post("/currency/", {"currency": "JPY", "next": page})

    assert chosen.status_code == 302 and chosen["Location"] == page
    assert chosen.cookies[settings.CURRENCY_COOKIE_NAME].value == "JPY"
    assert Profile.objects.get(user=alice).currency == "JPY"
    assert "¥750" in browser.get(page).content.decode()
    account = browser.get(reverse("accounts:settings")).content.decode()
    assert "<dt>Currency</dt><dd>JPY · " in account and 'href="/currency/?next=' in account
    # Another browser, without the cookie: the profile's currency from sign-in on.
    elsewhere = Client()
    assert "$5.00" in elsewhere.get(page).content.decode()
    signed_in = elsewhere.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert settings.CURRENCY_COOKIE_NAME not in elsewhere.cookies
    assert "¥750" in elsewhere.get(page).content.decode()


def test_a_bad_choice_is_refused_and_changes_nothing(client: Client, france: Plan) -> None:
    refused = client.post("/currency/", {"currency": "XYZ", "next": "https://evil.example/"})

    assert refused.status_code == 400
    assert "Choose one of the currencies in the list." in refused.content.decode()
    assert settings.CURRENCY_COOKIE_NAME not in refused.cookies


def test_an_offsite_next_is_not_followed(client: Client, france: Plan) -> None:
    chosen = client.post("/currency/", {"currency": "GBP", "next": "https://evil.example/"})
    assert chosen.status_code == 302 and chosen["Location"] == "/currency/"


def test_the_api_answers_in_the_asked_currency_as_decimal_strings(
    client: Client, france: Plan
) -> None:
    euros = client.get(f"/api/v1/plans/{france.public_id}", {"currency": "EUR"}).json()
    yen = client.get("/api/v1/destinations/FR/plans", {"currency": "JPY"}).json()

    assert (euros["price"], euros["currency"], euros["price_display"]) == ("4.99", "EUR", "€4.99")
    ours = next(p for p in yen if p["id"] == str(france.public_id))
    assert (ours["price"], ours["currency"], ours["price_display"]) == ("750", "JPY", "¥750")


@pytest.mark.parametrize("code", ["XYZ", "chf", "CHF", "EURO"])
def test_a_bad_currency_in_the_api_is_a_422_that_names_the_choices(
    client: Client, france: Plan, code: str
) -> None:
    for path in (f"/api/v1/plans/{france.public_id}", "/api/v1/destinations/FR/plans"):
        answer = client.get(path, {"currency": code})
        assert answer.status_code == 422
        [problem] = answer.json()["detail"]
        assert problem["loc"] == ["query", "currency"]
        assert problem["msg"] == "Input should be 'USD', 'EUR', 'GBP' or 'JPY'"


def test_a_currency_without_a_rate_yet_is_a_400_that_says_so(client: Client, france: Plan) -> None:
    CurrencyRate.objects.filter(currency="GBP").delete()
    changed()

    answer = client.get(f"/api/v1/plans/{france.public_id}", {"currency": "GBP"})

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "currency_unavailable",
        "message": "This plan has no price in GBP yet.",
    }


def test_a_rate_rounded_to_99_cents_for_yen_is_refused_in_the_back_office(catalog: None) -> None:
    from django.core.exceptions import ValidationError

    rate = CurrencyRate(currency="JPY", rate=Decimal("150"), rounding=Rounding.END_99)
    with pytest.raises(ValidationError, match="no cents"):
        rate.full_clean(validate_unique=False)
    price = PlanPrice(plan=Plan.objects.first(), currency="JPY", amount=Decimal("675.50"))
    with pytest.raises(ValidationError, match="no smaller unit"):
        price.full_clean(validate_unique=False)


def test_a_destination_page_in_euros_runs_a_fixed_number_of_queries(
    client: Client, france: Plan
) -> None:
    client.cookies[settings.CURRENCY_COOKIE_NAME] = "EUR"
    PlanPrice.objects.create(plan=france, currency="EUR", amount=Decimal("3.50"))
    changed()

    with queries() as cold:
        page = client.get("/destinations/fr/").content.decode()
    with queries() as warm:
        client.get("/destinations/fr/")

    assert page.count('class="card plan-card"') > 5 and "€3.50" in page
    # Built: the destination, its plans, the countries they cover, their euro
    # prices, the rate table; and the shop's identity, held for a while after.
    assert cold.counts["default"] == 6, str(cold)
    assert warm.counts["default"] == 0, warm

"""Plans that say what they are; destination pages sorted; structured data, robots, sitemap."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.test import Client

from roamwise.catalog.models import Destination, Plan


def test_price_per_gb_only_for_fixed_data() -> None:
    fixed = Plan(data_mb=5120, price=Decimal("16.00"), currency="USD", validity_days=30)
    unlimited = Plan(data_mb=None, fair_use_mb_per_day=2048, price=Decimal("24.00"))

    assert str(fixed.price_per_gb) == "$3.20"
    assert unlimited.price_per_gb is None


def test_demo_catalogue_says_speed_hotspot_and_number(catalog: None) -> None:
    japan = Plan.objects.get(destination__code="JP", data_mb=5120)
    peru = Plan.objects.get(destination__code="PE", data_mb=5120)
    unlimited = Plan.objects.filter(destination__code="JP", data_mb__isnull=True).get()

    assert japan.network_generation == Plan.Generation.NR
    assert peru.network_generation == Plan.Generation.LTE
    assert japan.hotspot_allowed and not unlimited.hotspot_allowed
    assert japan.is_data_only
    assert japan.validity_starts == Plan.ValidityStart.FIRST_USE


def test_plan_page_states_what_the_plan_is(client: Client, catalog: None) -> None:
    plan = Plan.objects.get(destination__code="JP", data_mb=5120)

    text = client.get(f"/plans/{plan.public_id}/").content.decode()

    assert "5G where available" in text
    assert "Allowed: share your data" in text
    assert "None: data only" in text
    assert "when it first connects to a network in a covered country" in text.lower()
    assert str(plan.price_per_gb) in text


def test_regional_plan_lists_its_countries_with_flags(client: Client, catalog: None) -> None:
    europe = Destination.objects.get(code="europe")
    plan = Plan.objects.filter(destination=europe).first()
    assert plan is not None
    count = europe.countries.count()

    text = client.get(f"/plans/{plan.public_id}/").content.decode()

    assert f"Works in {count} countries" in text
    assert "🇫🇷</span> France" in text
    # And its card on a country's page says how many.
    france = client.get("/destinations/fr/").content.decode()
    assert f"{count} countries" in france


def _own_plan_ids(client: Client, query: str) -> list[str]:
    text = client.get(f"/destinations/jp/{query}").content.decode()
    own = text.split('id="own-heading"', 1)[1].split('id="wider-heading"', 1)[0]
    return re.findall(r"/plans/([0-9a-f-]{36})/", own)


def test_destination_page_sorts_by_price_data_and_validity(client: Client, catalog: None) -> None:
    plans = {str(p.public_id): p for p in Plan.objects.filter(destination__code="JP")}

    by_price = [plans[i] for i in _own_plan_ids(client, "?sort=price")]
    by_data = [plans[i] for i in _own_plan_ids(client, "?sort=data")]
    by_validity = [plans[i] for i in _own_plan_ids(client, "?sort=validity")]

    assert [p.price for p in by_price] == sorted(p.price for p in plans.values())
    assert by_data[0].data_mb is None  # unlimited first
    fixed = [p.data_mb for p in by_data[1:]]
    assert fixed == sorted(fixed, reverse=True)
    days = [p.validity_days for p in by_validity]
    assert days == sorted(days, reverse=True)
    # An unknown sort is the default.
    assert _own_plan_ids(client, "?sort=nonsense") == _own_plan_ids(client, "?sort=price")


def test_plan_page_has_product_and_offer_structured_data(client: Client, catalog: None) -> None:
    plan = Plan.objects.get(destination__code="FR", data_mb=5120)

    text = client.get(f"/plans/{plan.public_id}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)

    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "Product"
    assert data["name"] == plan.name
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["price"] == str(plan.price)
    assert data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["url"].endswith(f"/plans/{plan.public_id}/")


def test_robots_txt_points_to_the_sitemap(client: Client) -> None:
    response = client.get("/robots.txt")
    text = response.content.decode()

    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /account/" in text
    assert "Disallow: /checkout/" in text
    assert re.search(r"^Sitemap: https?://\S+/sitemap\.xml$", text, re.M)


def test_sitemap_lists_public_pages_destinations_and_plans(client: Client, catalog: None) -> None:
    plan = Plan.objects.filter(is_active=True).first()
    assert plan is not None

    response = client.get("/sitemap.xml")
    text = response.content.decode()

    assert response.status_code == 200
    assert "/destinations/jp/</loc>" in text
    assert f"/plans/{plan.public_id}/</loc>" in text
    assert "/help/install/samsung/</loc>" in text
    assert "/terms/</loc>" in text
    assert "/account/" not in text

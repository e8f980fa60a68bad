"""What is cached from the catalogue is only what every visitor sees alike, is
never stale after a change, and never carries another visitor's token (ADR 0016)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, TestCase

from roamwise.catalog import views
from roamwise.catalog.models import Plan
from roamwise.consent import services as consent_services
from roamwise.core.tests.querycount import cache_lookups, queries
from roamwise.orders.models import Order
from roamwise.orders.services import BillingDetails, order_create
from roamwise.testing.people import make_customer, staff_client

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GPC_NOTE = "Your browser sends Global Privacy Control"


def test_a_change_in_the_back_office_shows_on_the_next_request(
    client: Client, catalog: None
) -> None:
    plan = Plan.objects.get(destination__code="FR", data_mb=5120)
    page = client.get("/destinations/fr/").content.decode()
    api = client.get("/api/v1/destinations/FR/plans").json()
    assert "$31.17" not in page
    assert [p["price"] for p in api if p["id"] == str(plan.public_id)] == [str(plan.price)]
    boss, _ = staff_client(None, "boss")
    form = {
        "destination": plan.destination_id,
        "name": plan.name,
        "data_mb": plan.data_mb,
        "fair_use_mb_per_day": "",
        "validity_days": plan.validity_days,
        "price": "31.17",
        "price_reason": "Summer price",  # recorded as a price run (ADR 0034)
        "currency": plan.currency,
        "networks": [n.pk for n in plan.networks.all()],
        "profile_type": plan.profile_type,
        "is_active": "on",
        "network_generation": plan.network_generation,
        "hotspot_allowed": "on",
        "is_data_only": "on",
        "validity_starts": plan.validity_starts,
        # The plan's per-currency prices (an inline): none.
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
    }

    with TestCase.captureOnCommitCallbacks(execute=True):
        saved = boss.post(f"/admin/catalog/plan/{plan.pk}/change/", form)

    assert saved.status_code == 302
    assert "$31.17" in client.get("/destinations/fr/").content.decode()
    api = client.get("/api/v1/destinations/FR/plans").json()
    assert [p["price"] for p in api if p["id"] == str(plan.public_id)] == ["31.17"]


def test_the_cached_api_answer_is_the_one_built(client: Client, catalog: None) -> None:
    built = client.get("/api/v1/destinations/JP/plans")
    cached = client.get("/api/v1/destinations/jp/plans")

    assert built["Content-Type"] == cached["Content-Type"] == "application/json; charset=utf-8"
    assert built.content == cached.content
    first = json.loads(built.content)[0]
    assert set(first) == {
        "id",
        "name",
        "destination",
        "data_mb",
        "unlimited",
        "fair_use_mb_per_day",
        "validity_days",
        "price",
        "currency",
        "price_display",
        "networks",
        "network_generation",
        "hotspot_allowed",
        "data_only",
        "validity_starts",
    }


@pytest.mark.commitment("USE-01")
def test_nothing_personal_is_cached_for_other_visitors(client: Client, catalog: None) -> None:
    alice = make_customer("alice")
    order = order_create(
        customer=alice,
        plan=Plan.objects.filter(destination__code="JP").first(),
        billing=BillingDetails(
            name="Alice Example",
            line1="1 Rue de Rivoli",
            line2="",
            city="Paris",
            postcode="75001",
            country="FR",
            phone="+33612345678",
        ),
    )
    Order.objects.filter(pk=order.pk).update(status="paid")
    consent_services.consent_choices_save(
        choices={"personalisation": True}, source="settings", user=alice
    )
    own = Client()
    own.force_login(alice)

    anonymous_before = client.get("/").content.decode()
    alice_home = own.get("/").content.decode()
    alice_page = own.get("/destinations/it/").content.decode()
    anonymous_home = client.get("/").content.decode()
    anonymous_page = client.get("/destinations/it/").content.decode()

    assert "Because you bought" in alice_home
    assert "Because you bought" not in anonymous_before
    assert "Because you bought" not in anonymous_home
    assert "Recommended for you" not in anonymous_home
    # The page's plans come from the cache; the header is each visitor's own.
    assert "My eSIMs" in alice_page and "My eSIMs" not in anonymous_page
    assert "Sign in" in anonymous_page
    assert "viewed_destinations" not in client.session


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The catalogue's page templates rendered, one entry each time."""
    rendered: list[str] = []
    real = views.render

    def spy(request: object, template: str, *args: object, **kwargs: object) -> object:
        rendered.append(template)
        return real(request, template, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "render", spy)
    return rendered


def test_every_first_visitor_gets_a_working_token_of_their_own(
    catalog: None, renders: list[str]
) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get("/destinations/fr/").content.decode()
    with queries() as served:
        page_two = second.get("/destinations/fr/").content.decode()

    # The second page came whole from the cache, with its own token in it.
    assert renders == ["catalog/destination_detail.html"]
    assert served.counts == {"default": 0, "vault": 0, "cache": cache_lookups(1)}
    token_one, token_two = CSRF.search(page_one).group(1), CSRF.search(page_two).group(1)
    assert token_one != token_two
    assert CSRF.sub("", page_one) == CSRF.sub("", page_two)
    for client, token in ((first, token_one), (second, token_two)):
        chosen = client.post(
            "/consent/choose/",
            {"choice": "reject_all", "next": "/", "csrfmiddlewaretoken": token},
        )
        assert chosen.status_code == 302
    # Someone else's token does not pass.
    third = Client(enforce_csrf_checks=True)
    third.get("/destinations/fr/")
    refused = third.post("/consent/choose/", {"choice": "accept_all", "csrfmiddlewaretoken": "x"})
    assert refused.status_code == 403


@pytest.mark.parametrize("path", ["/", "/destinations/fr/"])
def test_first_visits_are_kept_apart_by_the_gpc_signal(catalog: None, path: str) -> None:
    with_gpc = [Client().get(path, headers={"Sec-GPC": "1"}).content.decode() for _ in range(2)]
    without = [Client().get(path).content.decode() for _ in range(2)]

    assert all(GPC_NOTE in page for page in with_gpc)
    assert not any(GPC_NOTE in page for page in without)


def test_a_visitor_who_chose_is_not_served_a_first_visit_page(
    client: Client, catalog: None, renders: list[str]
) -> None:
    Client().get("/destinations/fr/")  # a first visit, kept
    client.post("/consent/choose/", {"choice": "reject_all"})

    page = client.get("/destinations/fr/").content.decode()
    again = Client().get("/destinations/fr/").content.decode()

    assert renders == ["catalog/destination_detail.html"] * 2  # the first visit, then the choice
    assert "consent-banner" not in page
    assert "consent-banner" in again

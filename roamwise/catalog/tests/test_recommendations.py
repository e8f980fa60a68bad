"""Recommendations follow consent: location only with location consent (and not
even read without it), history only with personalisation consent, otherwise the
same popular list for everyone (USE-01, AUT-03)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog import views as catalog_views
from roamwise.catalog.models import Plan
from roamwise.consent import services as consent_services
from roamwise.orders.models import Order
from roamwise.orders.services import BillingDetails, order_create

FRENCH_IP = "81.56.0.1"


@pytest.fixture
def location_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the home page reads the visitor's country (the real lookup runs)."""
    calls: list[str] = []
    real = catalog_views.request_country

    def spy(request: object) -> str:
        country = real(request)  # type: ignore[arg-type]
        calls.append(country)
        return country

    monkeypatch.setattr(catalog_views, "request_country", spy)
    return calls


def reasons(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'data-basis="(\w+)">.*?<p class="why"><strong>Why this plan\?</strong> ([^<]+)</p>',
        html,
        re.S,
    )


def without_tokens(html: bytes) -> str:
    # CSRF tokens are masked afresh in every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())


def home(client: Client) -> str:
    return client.get("/", REMOTE_ADDR=FRENCH_IP).content.decode()


def choose(client: Client, **choices: bool) -> None:
    client.post("/consent/choose/", {"choice": "reject_all"})
    data = {purpose: "on" for purpose, on in choices.items() if on}
    client.post("/cookies/", data)


def buy(customer: User, plan: Plan) -> None:
    billing = BillingDetails(
        name="Alice Example",
        line1="1 Rue de Rivoli",
        line2="",
        city="Paris",
        postcode="75001",
        country="FR",
        phone="+33612345678",
    )
    order = order_create(customer=customer, plan=plan, billing=billing)
    # Paid: the payment flow itself is tested in orders.
    Order.objects.filter(pk=order.pk).update(status="paid")


@pytest.mark.commitment("AUT-03")
@pytest.mark.commitment("USE-01")
def test_without_consent_the_location_is_not_read_and_the_list_is_popular(
    client: Client, catalog: None, location_reads: list[str]
) -> None:
    first = reasons(home(client))  # before any choice
    choose(client)  # everything refused
    after = reasons(home(client))

    assert location_reads == []
    assert first and {basis for basis, _ in first} == {"popular"}
    assert after == first


@pytest.mark.commitment("AUT-03")
def test_with_location_consent_a_local_plan_comes_first_and_says_why(
    client: Client, catalog: None, location_reads: list[str]
) -> None:
    choose(client, location=True)

    found = reasons(home(client))

    assert location_reads == ["FR"]
    assert found[0][0] == "location"
    assert "France" in found[0][1] and "with your consent" in found[0][1]


@pytest.mark.commitment("USE-01")
def test_purchases_and_browsing_count_only_with_personalisation_consent(
    client: Client, alice: User, catalog: None, location_reads: list[str]
) -> None:
    buy(alice, Plan.objects.filter(destination__code="JP").first())
    client.force_login(alice)
    choose(client, personalisation=False)
    client.get("/destinations/it/")
    assert {basis for basis, _ in reasons(home(client))} == {"popular"}
    assert "viewed_destinations" not in client.session

    choose(client, personalisation=True)
    client.get("/destinations/it/")
    found = reasons(home(client))

    bases = [basis for basis, _ in found]
    assert "purchases" in bases and "browsing" in bases
    assert any("Japan" in why for basis, why in found if basis == "purchases")
    assert any("Italy" in why for basis, why in found if basis == "browsing")
    assert location_reads == []  # personalisation is not location


@pytest.mark.commitment("RGT-06")
@pytest.mark.commitment("USE-01")
def test_objecting_to_personalisation_stops_it_and_forgets_the_browsing(
    client: Client, alice: User, catalog: None
) -> None:
    client.force_login(alice)
    choose(client, personalisation=True, location=True)
    client.get("/destinations/it/")
    assert "browsing" in {basis for basis, _ in reasons(home(client))}

    client.post("/consent/objections/", {"personalisation": "on"})

    assert {basis for basis, _ in reasons(home(client))} == {"popular"}
    assert "viewed_destinations" not in client.session


@pytest.mark.commitment("AUT-03")
def test_turning_location_off_changes_nothing_else(
    client: Client, alice: User, catalog: None
) -> None:
    client.force_login(alice)
    consent_services.consent_choices_save(
        choices={"location": True, "personalisation": True}, source="settings", user=alice
    )
    client.get("/destinations/it/")
    with_location = reasons(home(client))
    pages_with = [without_tokens(client.get(p).content) for p in ("/destinations/", "/privacy/")]

    consent_services.consent_record(
        purpose="location", granted=False, source="settings", user=alice
    )
    without_location = reasons(home(client))
    pages_without = [without_tokens(client.get(p).content) for p in ("/destinations/", "/privacy/")]

    assert with_location[0][0] == "location"
    personal = {"browsing", "purchases"}
    assert [r for r in with_location if r[0] in personal] == [
        r for r in without_location if r[0] in personal
    ]
    assert [r for r in with_location if r[0] in personal]
    assert "location" not in {basis for basis, _ in without_location}
    assert pages_with == pages_without

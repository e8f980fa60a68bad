"""The checkout starts from what the shop honestly knows: the customer's last
billing details, else the country of the connection when the customer allowed
location, else nothing chosen (never the first country of the list)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.consent import services as consent_services
from roamwise.consent.models import Purpose
from roamwise.esims.models import Esim, EsimState
from roamwise.orders.models import Order
from roamwise.orders.services import BillingDetails, order_create

BRITISH_IP = "81.2.69.160"  # a UK address in the offline table

UK_BILLING = BillingDetails(
    name="Alice Traveller",
    line1="10 Downing Street",
    line2="",
    city="London",
    postcode="SW1A 2AA",
    country="GB",
    phone="+44 7911 123456",
)


def selected_country(html: str) -> str | None:
    select = re.search(r'<select name="country".*?</select>', html, re.S)
    assert select is not None
    chosen = re.search(r'<option value="(\w*)"[^>]*\bselected\b', select.group(0))
    return chosen.group(1) if chosen else None


def allow_location(customer: User, allowed: bool) -> None:
    consent_services.consent_choices_save(
        choices={Purpose.LOCATION: allowed}, source="settings", user=customer
    )


@pytest.mark.django_db
def test_a_first_checkout_without_location_consent_chooses_no_country(
    buyer: Client, plan: Plan, alice: User
) -> None:
    allow_location(alice, False)
    html = buyer.get(f"/checkout/{plan.public_id}/", REMOTE_ADDR=BRITISH_IP).content.decode()
    assert selected_country(html) in (None, "")
    assert "Choose your country" in html
    # Sent as it is, the form asks for the country instead of taking Afghanistan.
    response = buyer.post(f"/checkout/{plan.public_id}/", {"name": "A", "line1": "1"})
    assert response.status_code == 200
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_first_checkout_with_location_consent_takes_the_connections_country(
    buyer: Client, plan: Plan, alice: User
) -> None:
    allow_location(alice, True)
    html = buyer.get(f"/checkout/{plan.public_id}/", REMOTE_ADDR=BRITISH_IP).content.decode()
    assert selected_country(html) == "GB"


@pytest.mark.django_db
def test_the_next_checkout_and_the_top_up_reuse_the_last_billing_details(
    buyer: Client, plan: Plan, alice: User
) -> None:
    allow_location(alice, True)
    order = order_create(customer=alice, plan=plan, billing=UK_BILLING)
    # From a French connection, the billing country stays the customer's own.
    html = buyer.get(f"/checkout/{plan.public_id}/", REMOTE_ADDR="81.56.0.1").content.decode()
    assert selected_country(html) == "GB"
    assert 'value="10 Downing Street"' in html and 'value="SW1A 2AA"' in html

    esim = Esim.objects.create(
        customer=alice, order=order, profile_type=plan.profile_type, state=EsimState.ACTIVE
    )
    html = buyer.get(f"/esims/{esim.public_id}/top-up/").content.decode()
    assert selected_country(html) == "GB"
    assert 'value="Alice Traveller"' in html and 'value="London"' in html

"""A visitor buying a plan signs up, verifies the email address and signs in,
and is back at the checkout of that plan; a customer signing in from a
checkout is back there too."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.testing.helpers import link_in
from roamwise.testing.people import PASSWORD, signup


@pytest.mark.django_db
def test_the_plan_survives_sign_up_and_email_verification(client: Client, plan: Plan) -> None:
    checkout = f"/checkout/{plan.public_id}/"
    login = client.get(checkout)
    assert login.status_code == 302
    login_page = client.get(login["Location"]).content.decode()
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', login_page)
    assert signup_link is not None
    signup_page = client.get(signup_link.group(1).replace("&amp;", "&")).content.decode()
    assert f'name="next" value="{checkout}"' in signup_page

    response = signup(client, next=checkout)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    message = next(m for m in mail.outbox if m.to == ["carol@example.com"])
    verified = client.post(link_in(message.body, "/accounts/confirm-email/"))
    assert verified.status_code == 302
    login_url = verified["Location"]
    assert login_url == f"/accounts/login/?next={quote(checkout, safe='')}"
    assert f'value="{checkout}"' in client.get(login_url).content.decode()
    signed_in = client.post(login_url, {"login": "carol", "password": PASSWORD, "next": checkout})
    assert signed_in.status_code == 302 and signed_in["Location"] == checkout
    assert client.get(checkout).status_code == 200


@pytest.mark.django_db
def test_signing_in_from_a_checkout_returns_to_it(
    client: Client, plan: Plan, alice: object
) -> None:
    checkout = f"/checkout/{plan.public_id}/"
    response = client.post(
        f"/accounts/login/?next={checkout}",
        {"login": "alice", "password": PASSWORD, "next": checkout},
    )
    assert response.status_code == 302 and response["Location"] == checkout

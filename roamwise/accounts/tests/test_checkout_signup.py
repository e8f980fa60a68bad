"""A visitor buying a plan signs up and types the code emailed to them in
the same tab, and is back at the checkout of that plan, signed in; a customer signing in from a
checkout is back there too."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.testing.helpers import code_in
from roamwise.testing.people import signup


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
    # The code typed in the same tab signs the customer in and returns them
    # to the checkout: no link to follow on another screen.
    assert "/accounts/confirm-email/" not in message.body
    verified = client.post("/accounts/confirm-email/", {"code": code_in(message.body)})
    assert verified.status_code == 302 and verified["Location"] == checkout
    assert client.get(checkout).status_code == 200


@pytest.mark.django_db
def test_a_mistyped_code_can_be_typed_again(client: Client, plan: Plan) -> None:
    checkout = f"/checkout/{plan.public_id}/"
    signup(client, next=checkout)
    first = code_in(next(m for m in mail.outbox if m.to == ["carol@example.com"]).body)
    wrong = "000000" if first != "000000" else "111111"
    refused = client.post("/accounts/confirm-email/", {"code": wrong})
    assert refused.status_code == 200 and "code" in refused.context["form"].errors
    page = client.get("/accounts/confirm-email/").content.decode()
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page
    verified = client.post("/accounts/confirm-email/", {"code": first})
    assert verified.status_code == 302 and verified["Location"] == checkout

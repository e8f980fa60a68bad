"""The first staff account: one command, then the back office."""

from __future__ import annotations

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.test import Client

from roamwise.accounts.models import User
from roamwise.audit.roles import BILLING
from roamwise.testing.people import PASSWORD, make_customer, totp_code


def run_staff_create(*args: str) -> str:
    out = io.StringIO()
    call_command("staff_create", *args, stdout=out)
    return out.getvalue()


def printed(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


@pytest.mark.commitment("ACC-03")
def test_staff_create_ends_in_the_back_office(client: Client, db: None) -> None:
    output = run_staff_create("ops@example.com", "--role", BILLING)
    password = printed(output, "Password (shown once)")
    secret = printed(output, "TOTP secret (add it to an authenticator app)")
    assert printed(output, "TOTP URI").startswith("otpauth://totp/")

    user = User.objects.get(username="ops")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [BILLING]
    assert EmailAddress.objects.get(user=user).verified

    response = client.post("/accounts/login/", {"login": "ops@example.com", "password": password})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200


def test_staff_create_refuses_an_address_in_use_and_a_missing_role(db: None) -> None:
    make_customer("alice")
    with pytest.raises(CommandError, match="already uses"):
        run_staff_create("alice@example.com", "--username", "alice2", "--role", BILLING)
    with pytest.raises(CommandError, match="--role"):
        run_staff_create("new@example.com")
    assert not User.objects.filter(username="new").exists()


@pytest.mark.commitment("ACC-03")
def test_the_code_that_turned_totp_on_opens_the_back_office(client: Client, db: None) -> None:
    make_customer("staffer", is_staff=True, is_superuser=True)
    client.post("/accounts/login/", {"login": "staffer", "password": PASSWORD})
    # Turning on an authenticator asks for the password again first.
    reauthenticate = client.get("/accounts/2fa/totp/activate/")["Location"]
    client.post(reauthenticate, {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    code = totp_code(client.session["mfa.totp.secret"])
    assert client.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302

    response = client.get("/admin/")
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert client.post(response["Location"], {"code": code})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

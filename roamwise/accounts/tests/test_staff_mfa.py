from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code


def staff_login(client: Client, username: str) -> object:
    return client.post("/accounts/login/", {"login": username, "password": PASSWORD})


@pytest.mark.commitment("ACC-03")
def test_staff_without_mfa_are_sent_to_set_it_up(client: Client, staff: User) -> None:
    staff_login(client, staff.username)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/admin/accounts/user/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.commitment("ACC-03")
def test_staff_with_mfa_reach_the_back_office(client: Client, staff: User) -> None:
    secret = enable_totp(staff)
    staff_login(client, staff.username)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    for path in [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/catalog/plan/",
        "/admin/catalog/destination/",
    ]:
        assert client.get(path).status_code == 200, path


@pytest.mark.commitment("ACC-03")
def test_staff_who_turned_mfa_on_mid_session_must_confirm_a_code(
    client: Client, staff: User
) -> None:
    staff_login(client, staff.username)
    secret = enable_totp(staff)

    response = client.get("/admin/")
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")

    client.post(response["Location"], {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200


@pytest.mark.commitment("ACC-03")
def test_customers_never_reach_the_back_office(client: Client, alice: User) -> None:
    staff_login(client, "alice")

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]


@pytest.mark.commitment("ACC-03")
def test_admin_login_page_goes_through_allauth(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_inactive_staff_are_refused(client: Client, db: None) -> None:
    former = make_customer("former", is_staff=True)
    enable_totp(former)
    former.is_active = False
    former.save()

    staff_login(client, "former")

    assert client.session.get("_auth_user_id") is None

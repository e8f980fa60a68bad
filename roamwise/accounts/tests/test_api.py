from __future__ import annotations

import json

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.testing.people import PASSWORD


@pytest.mark.commitment("ACC-01")
def test_me_needs_authentication(client: Client, db: None) -> None:
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Sign in to use this endpoint.",
    }


def test_me_with_the_browser_session(client: Client, alice: User) -> None:
    client.force_login(alice)

    body = client.get("/api/v1/me").json()

    assert body == {
        "id": str(alice.public_id),
        "username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "phone": "+447911123456",
        "mfa_enabled": False,
    }


def test_me_with_a_headless_session_token(client: Client, alice: User) -> None:
    login = client.post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"username": "alice", "password": PASSWORD}),
        content_type="application/json",
    )
    assert login.status_code == 200, login.content
    token = login.json()["meta"]["session_token"]

    api = Client()
    response = api.get("/api/v1/me", headers={"X-Session-Token": token})

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert api.get("/api/v1/me", headers={"X-Session-Token": "forged"}).status_code == 401


@pytest.mark.commitment("CHD-01")
def test_headless_signup_applies_the_same_age_gate(client: Client, db: None) -> None:
    response = client.post(
        "/_allauth/app/v1/auth/signup",
        data=json.dumps(
            {
                "username": "kiddo",
                "email": "kiddo@example.com",
                "password": PASSWORD,
                "phone": "+447911000111",
                "date_of_birth": "2020-01-01",
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "date_of_birth" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("bad", [5, ["2000-01-01"], {"y": 2000}, "31/31/2000", None])
def test_headless_signup_with_a_malformed_date_is_a_400(
    client: Client, db: None, bad: object
) -> None:
    response = client.post(
        "/_allauth/app/v1/auth/signup",
        data=json.dumps(
            {
                "username": "dora",
                "email": "dora@example.com",
                "password": PASSWORD,
                "phone": "+447911000111",
                "date_of_birth": bad,
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not User.objects.exists()

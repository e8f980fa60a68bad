"""The simulated processor's own API answers bad input with 4xx, never 5xx."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from roamwise.gateway.cards import brand_of, check_card, luhn_valid

# The stand-in under test, mounted in the site under test (ADR 0018).
pytestmark = pytest.mark.usefixtures("stand_ins")


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.GATEWAY_SECRET_KEY}"}


VALID = {
    "amount": "10.00",
    "currency": "EUR",
    "description": "x",
    "merchant_reference": "r",
    "success_url": "http://s.example/ok",
    "cancel_url": "http://s.example/no",
    "webhook_url": "http://s.example/hook",
}


@pytest.mark.parametrize(
    "body",
    [
        b"nope",
        b"[]",
        json.dumps({**VALID, "amount": "NaN"}).encode(),
        json.dumps({**VALID, "amount": "-1"}).encode(),
        json.dumps({k: v for k, v in VALID.items() if k != "webhook_url"}).encode(),
    ],
)
def test_bad_session_requests_are_400(client: Client, db: None, body: bytes) -> None:
    response = client.post(
        "/gateway/v1/sessions", body, content_type="application/json", headers=auth()
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"]


def test_the_api_needs_the_secret_key(client: Client, db: None) -> None:
    response = client.post(
        "/gateway/v1/sessions",
        json.dumps(VALID),
        content_type="application/json",
        headers={"Authorization": "Bearer wrong"},
    )

    assert response.status_code == 401


def test_refunds_of_unknown_or_unpaid_sessions_are_refused(client: Client, db: None) -> None:
    created = client.post(
        "/gateway/v1/sessions", json.dumps(VALID), content_type="application/json", headers=auth()
    ).json()

    unpaid = client.post(
        "/gateway/v1/refunds",
        json.dumps({"session": created["id"], "amount": "1"}),
        content_type="application/json",
        headers=auth(),
    )
    unknown = client.post(
        "/gateway/v1/refunds",
        json.dumps({"session": "cs_x", "amount": "1"}),
        content_type="application/json",
        headers=auth(),
    )

    assert unpaid.status_code == 400 and unknown.status_code == 404


def test_card_checks() -> None:
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    assert brand_of("5555555555554444") == "mastercard" and brand_of("378282246310005") == "amex"
    assert check_card("4242 4242 4242 4242").outcome == "success"
    assert check_card("4000000000000002").outcome == "card_declined"
    assert check_card("1234").outcome == "invalid_number"


@pytest.mark.parametrize(
    ("amount", "currency", "status"),
    [
        ("675", "JPY", 201),
        ("675.00", "JPY", 201),  # the same whole yen, written with zeros
        ("675.5", "JPY", 400),  # yen have no minor unit
        ("4.50", "USD", 201),
        ("4.505", "USD", 400),
        ("4.50", "XYZ", 400),  # not ISO 4217
    ],
)
def test_amounts_are_in_the_currency_minor_unit(
    client: Client, db: None, amount: str, currency: str, status: int
) -> None:
    response = client.post(
        "/gateway/v1/sessions",
        json.dumps({**VALID, "amount": amount, "currency": currency}),
        content_type="application/json",
        headers=auth(),
    )

    assert response.status_code == status, response.content
    if status == 201:
        assert (response.json()["amount"], response.json()["currency"]) in {
            ("675", "JPY"),
            ("4.50", "USD"),
        }
    else:
        assert response.json()["error"]["code"] in {"invalid_amount", "invalid_currency"}

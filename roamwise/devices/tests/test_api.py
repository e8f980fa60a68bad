from __future__ import annotations

import pytest
from django.test import Client

from roamwise.testing.lines import EID

URL = "/api/v1/devices/check"

IMEI = "352099001761481"


def post(client: Client, body: object) -> tuple[int, dict]:
    response = client.post(URL, body, content_type="application/json")
    return response.status_code, response.json()


def test_check_a_compatible_device_anonymously(client: Client) -> None:
    status, body = post(client, {"model": "Galaxy S23", "eid": EID, "imei": IMEI})

    assert status == 200
    assert body == {
        "compatible": True,
        "matched": "Samsung Galaxy S23",
        "note": "",
        "suggestions": [],
        "eid_valid": True,
        "imei_valid": True,
    }


def test_identifiers_are_optional_and_may_be_null(client: Client) -> None:
    status, body = post(client, {"model": "Pixel 8", "eid": None})

    assert status == 200
    assert body["matched"] == "Google Pixel 8"
    assert body["eid_valid"] is None
    assert body["imei_valid"] is None


def test_unknown_model_gets_suggestions(client: Client) -> None:
    status, body = post(client, {"model": "Galaxy S2"})

    assert status == 200
    assert body["compatible"] is None
    assert body["matched"] == ""
    assert body["suggestions"] == [
        "Samsung Galaxy S20",
        "Samsung Galaxy S21",
        "Samsung Galaxy S22",
        "Samsung Galaxy S23",
        "Samsung Galaxy S24",
    ]


def test_missing_model_is_422(client: Client) -> None:
    status, body = post(client, {"eid": EID})

    assert status == 422
    assert body["code"] == "invalid_input"
    assert body["message"] == "The request is not valid."
    assert body["detail"] == [{"loc": ["body", "body", "model"], "msg": "Field required"}]


def test_blank_model_is_422_with_the_message(client: Client) -> None:
    status, body = post(client, {"model": " "})

    assert status == 422
    assert body == {
        "code": "invalid_model",
        "message": "Type your device's model, for example iPhone 15 or Galaxy S24.",
    }


def test_too_long_model_is_422_with_the_message(client: Client) -> None:
    status, body = post(client, {"model": "x" * 101})

    assert status == 422
    assert body == {"code": "invalid_model", "message": "A model name is at most 100 characters."}


@pytest.mark.parametrize(
    "field,value,code,message",
    [
        (
            "eid",
            "not an eid",
            "invalid_eid",
            "An EID is 32 digits (spaces are fine); find it in Settings > About, or dial *#06#.",
        ),
        (
            "eid",
            EID + "0",
            "invalid_eid",
            "An EID is 32 digits (spaces are fine); find it in Settings > About, or dial *#06#.",
        ),
        (
            "imei",
            "35209900176148",
            "invalid_imei",
            "An IMEI is 15 digits (spaces are fine); dial *#06# to see it.",
        ),
    ],
)
def test_malformed_identifier_is_422_with_the_message(
    client: Client, field: str, value: str, code: str, message: str
) -> None:
    status, body = post(client, {"model": "iPhone 15", field: value})

    assert status == 422
    assert body == {"code": code, "message": message}


def test_wrong_check_digits_are_answered_as_not_valid(client: Client) -> None:
    # Check digits cannot be written as a schema pattern; a well-formed request
    # is answered, and the answer says the identifiers are not valid.
    status, body = post(
        client,
        {
            "model": "iPhone 15",
            "eid": "89001012012341234012345678901234",
            "imei": "352099001761482",
        },
    )

    assert status == 200
    assert body["eid_valid"] is False
    assert body["imei_valid"] is False
    assert body["matched"] == "Apple iPhone 15"


def test_malformed_json_is_refused(client: Client) -> None:
    response = client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"code": "error", "message": "Cannot parse request body"}


def test_the_openapi_document_describes_the_endpoint(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()

    operation = spec["paths"]["/api/v1/devices/check"]["post"]
    assert set(operation["responses"]) == {"200", "400", "413", "422"}
    assert "security" not in operation
    fields = spec["components"]["schemas"]["DeviceCheckIn"]["properties"]
    assert fields["model"]["maxLength"] == 100
    assert fields["eid"]["pattern"] == "^[ -]*(?:(?:[0-9][ -]*){32})?$"
    assert fields["imei"]["pattern"] == "^[ -]*(?:(?:[0-9][ -]*){15})?$"

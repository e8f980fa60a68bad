"""SIM-04: device information is collected only where needed. The compatibility
check needs the EID and IMEI for a moment only, so it keeps neither."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.testing.helpers import rows_containing
from roamwise.testing.people import PASSWORD

EID = "89086030202200000022000023022943"
IMEI = "490154203237518"


@pytest.mark.commitment("SIM-04")
def test_checking_a_device_keeps_neither_its_eid_nor_its_imei(
    client: Client, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Given a signed-in customer, so that there is a session that could keep them
    assert client.login(username="alice", password=PASSWORD)

    # When the device is checked on the page and through the API
    page = client.post("/devices/compatibility/", {"model": "iPhone 15", "eid": EID, "imei": IMEI})
    api = Client().post(
        "/api/v1/devices/check",
        {"model": "Galaxy S24", "eid": EID, "imei": IMEI},
        content_type="application/json",
    )
    mistyped = Client().post(
        "/api/v1/devices/check",
        {"model": "Galaxy S24", "eid": EID[:-1] + "0", "imei": IMEI},
        content_type="application/json",
    )
    refused = Client().post(
        "/api/v1/devices/check",
        {"model": "Galaxy S24", "eid": EID + "9", "imei": IMEI},
        content_type="application/json",
    )

    # Then both answered, and nothing anywhere in the database holds the identifiers
    assert page.status_code == 200
    assert page.context["result"].eid_valid is True
    assert api.status_code == 200
    assert api.json()["imei_valid"] is True
    assert mistyped.json()["eid_valid"] is False
    assert refused.status_code == 422
    for needle in (EID, IMEI, EID[:-1] + "0"):
        assert rows_containing(needle) == [], needle
        assert [r.getMessage() for r in caplog.records if needle in r.getMessage()] == []
    # and no cache in between may keep the page that echoes them back
    assert "no-store" in page["Cache-Control"]

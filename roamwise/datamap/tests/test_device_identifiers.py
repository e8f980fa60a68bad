"""Device identifiers only where needed (AUT-04): IMEI and EID are held only by
declared records whose sole purpose is the service (compatibility and
activation), and no model has a field for a MAC address, which the policy
says is never collected."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import Client
from django.test.utils import isolate_apps
from django.utils.html import escape

from roamwise.datamap.checks import check_never_collected
from roamwise.datamap.registry import Declaration, data_map
from roamwise.datamap.vocabulary import DEVICE_IDENTIFIER_CATEGORIES, NEVER_COLLECTED

IDENTIFIER_NAME = re.compile(r"(^|_)(imei|eid)(_|$)")


def every_field() -> list[tuple[str, str]]:
    return [
        (model._meta.label_lower, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
    ]


@pytest.mark.commitment("AUT-04")
def test_no_model_has_a_field_for_a_mac_address() -> None:
    mac = NEVER_COLLECTED["mac_address"][1]

    assert [(m, f) for m, f in every_field() if re.search(mac, f, re.I)] == []
    assert check_never_collected(apps.get_models()) == []
    # The pattern is not blind: these would be caught, ordinary names would not.
    for caught in ("mac", "mac_address", "wifi_mac", "device_macaddress", "hw_address", "bssid"):
        assert re.search(mac, caught, re.I), caught
    for ordinary in ("hmac", "machine", "chain_hash", "macro_region"):
        assert not re.search(mac, ordinary, re.I), ordinary


@pytest.mark.commitment("AUT-04")
@isolate_apps("roamwise.datamap")
def test_a_mac_address_field_stops_start_up() -> None:
    class WifiScan(models.Model):
        wifi_mac = models.CharField(max_length=17)
        seen_at = models.DateTimeField()

    errors = check_never_collected([WifiScan])

    assert [e.id for e in errors] == ["datamap.E023"]
    assert "WifiScan.wifi_mac looks like mac_address" in errors[0].msg


@pytest.mark.commitment("AUT-04")
def test_imei_and_eid_are_kept_only_by_the_esim_for_activation() -> None:
    fields = [(m, f) for m, f in every_field() if IDENTIFIER_NAME.search(f)]
    holders = {
        (d.model.lower(), f.name)
        for d in data_map
        for f in d.fields
        if f.category in DEVICE_IDENTIFIER_CATEGORIES
    }

    # The eSIM keeps the EID its SM-DP+ reports at download; the compatibility
    # check stores nothing; the SM-DP+ stand-in's own inventory is not ours.
    assert holders == {("esims.esim", "eid")}
    assert sorted(fields) == [("esims.esim", "eid"), ("smdp.smdpprofile", "eid")]
    assert any("eid" in s.fields for s in data_map.not_personal["smdp.smdpprofile"])
    esim = data_map.declarations["esims.esim"]
    assert esim.purposes == ("service",)
    assert "eid" not in esim.erasure.keep  # blanked when the customer is erased


@pytest.mark.commitment("AUT-04")
def test_a_device_identifier_declared_for_another_purpose_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    esim = data_map.declarations["esims.esim"]
    monkeypatch.setitem(
        data_map.declarations,
        "esims.esim",
        Declaration(**{**esim.__dict__, "purposes": ("service", "marketing")}),  # type: ignore[arg-type]
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    assert "esims.Esim: device identifiers (user.device.eid) for marketing" in str(raised.value)


@pytest.mark.commitment("AUT-04")
@pytest.mark.django_db
def test_the_policy_says_where_imei_and_eid_are_used_and_that_mac_addresses_never_are(
    client: Client,
) -> None:
    page = client.get("/privacy/").content.decode()

    identifiers = re.search(r'<ul id="device-identifiers".*?</ul>', page, re.S)
    assert identifiers
    assert "Device IMEI: read to check that your device can use an eSIM, and never stored." in (
        identifiers.group(0)
    )
    assert "eSIM chip identifier (EID): only where it is needed" in identifiers.group(0)
    assert escape(str(data_map.declarations["esims.esim"].description)) in identifiers.group(0)
    assert "We never collect: MAC addresses of your devices or their network adapters." in page

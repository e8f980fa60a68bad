from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test.utils import isolate_apps

from roamwise.datamap.checks import check_coverage, check_declaration
from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Registry,
    Retention,
    data_map,
)


def profile_declaration(**changes: object) -> Declaration:
    base = data_map.declarations["accounts.profile"]
    return Declaration(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.commitment("POL-01")
def test_the_project_data_map_is_complete_and_valid() -> None:
    call_command("check", "--tag", "datamap")


@pytest.mark.commitment("POL-01")
def test_an_undeclared_model_makes_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(data_map.declarations, "accounts.profile")

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    message = str(raised.value)
    assert "accounts.Profile refers to the user (user) but is not in the data map" in message


@pytest.mark.commitment("POL-01")
def test_an_undeclared_personal_field_makes_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    without_phone = tuple(
        f for f in profile_declaration().fields if f.name not in ("phone", "phone_index")
    )
    monkeypatch.setitem(
        data_map.declarations, "accounts.profile", profile_declaration(fields=without_phone)
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    assert "accounts.Profile.phone looks personal but is not declared" in str(raised.value)


@pytest.mark.commitment("POL-01")
def test_a_category_typo_makes_check_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    others = [f for f in profile_declaration().fields if f.name != "phone"]
    typo = (PersonalField("phone", "user.contact.phonenumber"), *others)
    monkeypatch.setitem(data_map.declarations, "accounts.profile", profile_declaration(fields=typo))

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    assert "unknown category 'user.contact.phonenumber'" in str(raised.value)


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"subject": "user__nope"}, "subject path 'user__nope' is broken"),
        ({"purposes": ("spying",)}, "unknown purpose 'spying'"),
        ({"legal_basis": "because"}, "unknown legal basis"),
        ({"recipients": ("data-broker",)}, "unknown recipient 'data-broker'"),
        ({"location": "moon"}, "unknown location 'moon'"),
        ({"erasure": Erasure(action="retain")}, "'retain' needs a legal obligation"),
        ({"retention": Retention.after(30, anchor="phone")}, "is not a date field"),
        ({"fields": (PersonalField("shoe_size", "user.name"),)}, "shoe_size does not exist"),
    ],
)
def test_each_part_of_a_declaration_is_validated(changes: dict, expected: str) -> None:
    errors = check_declaration(profile_declaration(**changes))

    assert any(expected in e.msg for e in errors), [e.msg for e in errors]


@isolate_apps("roamwise.datamap")
def test_coverage_finds_personal_looking_fields_and_honours_not_personal() -> None:
    class Shipment(models.Model):
        recipient_name = models.CharField(max_length=50)
        contact = models.EmailField()
        street_address = models.CharField(max_length=50)
        weight_grams = models.IntegerField()

    registry = Registry()
    flagged = {e.msg for e in check_coverage(registry, [Shipment])}
    assert flagged == {
        "datamap.Shipment.recipient_name looks personal but is not declared.",
        "datamap.Shipment.contact looks personal but is not declared.",
        "datamap.Shipment.street_address looks personal but is not declared.",
    }

    registry.declare_not_personal(
        NotPersonal(
            "datamap.Shipment",
            fields=("recipient_name", "contact", "street_address"),
            reason="Test warehouse data, synthetic.",
        )
    )
    assert check_coverage(registry, [Shipment]) == []


def test_not_personal_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Registry().declare_not_personal(NotPersonal("datamap.Shipment", reason=" "))


def test_a_model_cannot_be_declared_twice() -> None:
    registry = Registry()
    registry.declare(profile_declaration())

    with pytest.raises(ValueError, match="declared twice"):
        registry.declare(profile_declaration())

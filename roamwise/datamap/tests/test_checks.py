from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test.utils import isolate_apps

from roamwise.datamap.checks import check_coverage, check_declaration, check_registry
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

    assert "accounts.Profile.phone is neither declared nor stated not personal" in str(raised.value)


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
        ({"received": (("smdp", ("phone",)),)}, "or it is not one of the recipients"),
        ({"recipients": ("smdp",), "received": (("smdp", ("shoe",)),)}, "are not declared"),
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


# --- A declared model: every field decided, whatever its name (POL-01) -----------


@isolate_apps("roamwise.datamap")
def test_every_field_of_a_declared_model_is_declared_or_stated_not_personal() -> None:
    """Names no pattern would catch: only a decision per field lets them pass."""

    class Traveller(models.Model):
        user = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
        home_city = models.CharField(max_length=50)
        passport_number = models.CharField(max_length=20)
        nationality = models.CharField(max_length=2)
        nickname = models.CharField(max_length=30)
        notes = models.TextField()
        emergency_contact = models.CharField(max_length=100)
        created_at = models.DateTimeField()

    declaration = Declaration(
        model="datamap.Traveller",
        subject="user",
        fields=(
            PersonalField("home_city", "user.contact.address"),
            PersonalField("passport_number", "user.unique_id"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
    registry = Registry()
    registry.declare(declaration)

    flagged = {e.msg for e in check_coverage(registry, [Traveller])}

    assert flagged == {
        f"datamap.Traveller.{name} is neither declared nor stated not personal."
        for name in ("nationality", "nickname", "notes", "emergency_contact", "created_at")
    }
    assert all(
        e.id == "datamap.E012" and e.level >= 40 for e in check_coverage(registry, [Traveller])
    )

    registry.declare_not_personal(
        NotPersonal("datamap.Traveller", fields=("created_at",), reason="Row bookkeeping.")
    )
    registry.declarations["datamap.traveller"] = Declaration(
        **{
            **declaration.__dict__,
            "fields": (
                *declaration.fields,
                PersonalField("nationality", "user.demographic.date_of_birth"),
                PersonalField("nickname", "user.name"),
                PersonalField("notes", "user.content.support"),
                PersonalField("emergency_contact", "user.contact.phone_number"),
            ),
        }
    )
    assert check_coverage(registry, [Traveller]) == []


@isolate_apps("roamwise.datamap")
def test_a_not_personal_statement_must_name_real_undeclared_fields() -> None:
    class Visit(models.Model):
        user = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
        notes = models.TextField()

    registry = Registry()
    registry.declare(
        Declaration(
            model="datamap.Visit",
            subject="user",
            fields=(PersonalField("notes", "user.content.support"),),
            purposes=("service",),
            legal_basis="contract",
            retention=Retention.account_lifetime(),
            erasure=Erasure.delete(),
        )
    )
    registry.declare_not_personal(
        NotPersonal("datamap.Visit", fields=("notes", "shoe_size"), reason="A typo, and a lie.")
    )

    flagged = {e.msg for e in check_coverage(registry, [Visit])}

    assert flagged == {
        "datamap.Visit.shoe_size is stated not personal but does not exist.",
        "datamap.Visit.notes is both declared and stated not personal.",
    }


@pytest.mark.commitment("POL-01")
def test_a_new_field_on_a_real_declared_model_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Forgetting any field of a real declared model (here a free-text one the
    name pattern never caught) fails ``manage.py check``."""
    from roamwise.esims.models import Esim

    esims = data_map.declarations["esims.esim"]
    without = tuple(f for f in esims.fields if f.name != "failure_reason")
    monkeypatch.setitem(
        data_map.declarations,
        "esims.esim",
        Declaration(**{**esims.__dict__, "fields": without}),  # type: ignore[arg-type]
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    assert "esims.Esim.failure_reason is neither declared nor stated not personal" in str(
        raised.value
    )
    assert Esim._meta.get_field("failure_reason")


# --- Erasure rules, recipients and editors are checked at start-up --------------


@pytest.mark.commitment("RGT-03")
def test_an_erasure_rule_that_cannot_be_carried_out_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What erasure used to find out only when it ran: an anonymised row whose
    declared field cannot be blanked (a date that cannot be null)."""
    base = data_map.declarations["consent.objectionrecord"]
    monkeypatch.setitem(
        data_map.declarations,
        "consent.objectionrecord",
        Declaration(**{**base.__dict__, "erasure": Erasure.anonymise()}),  # type: ignore[arg-type]
    )

    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--tag", "datamap")

    assert "consent.ObjectionRecord.created_at cannot be blanked" in str(raised.value)


@pytest.mark.parametrize(
    "path,expected",
    [
        ("roamwise.esims.services.no_such_function", "does not import"),
        ("roamwise.esims.nowhere.esims_end", "does not import"),
        ("roamwise.esims.services.PLAN_STEPS_UNKNOWN", "does not import"),
        ("roamwise.datamap.registry.SELF", "is not callable"),
    ],
)
def test_an_at_recipients_path_that_does_not_lead_to_a_function_stops_start_up(
    path: str, expected: str
) -> None:
    base = data_map.declarations["esims.esim"]
    erasure = Erasure(**{**base.erasure.__dict__, "at_recipients": path})

    errors = check_declaration(Declaration(**{**base.__dict__, "erasure": erasure}))  # type: ignore[arg-type]

    assert any(f"at_recipients {path!r} {expected}" in e.msg for e in errors), [
        e.msg for e in errors
    ]


@pytest.mark.commitment("RGT-02")
def test_an_editor_that_is_not_a_page_stops_start_up() -> None:
    base = data_map.declarations["accounts.profile"]
    fields = tuple(
        PersonalField(f.name, f.category, editor="accounts:no_such_page")
        if f.name == "phone"
        else f
        for f in base.fields
    )

    errors = check_declaration(Declaration(**{**base.__dict__, "fields": fields}))  # type: ignore[arg-type]

    assert [e.msg for e in errors] == [
        "accounts.Profile.phone: editor 'accounts:no_such_page' is not a page of the site."
    ]


def test_the_real_registry_has_no_problem_of_any_kind() -> None:
    from django.apps import apps

    assert check_registry(data_map, apps.get_models()) == []

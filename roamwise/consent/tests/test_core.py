"""Consent records and the one question every feature asks: has_consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import override_settings

from roamwise.accounts.models import User
from roamwise.consent import selectors, services
from roamwise.consent.errors import InvalidConsent
from roamwise.consent.models import (
    OPTIONAL_PURPOSES,
    ConsentRecord,
    Objection,
    ObjectionRecord,
    Purpose,
    Source,
)

VISITOR = "v" * 32


@pytest.mark.commitment("CKE-01")
def test_purposes_cover_the_cookie_categories() -> None:
    assert {"essential", "analytics", "preferences", "marketing"} <= set(Purpose.values)
    assert set(Purpose.values) == {
        "essential",
        "analytics",
        "preferences",
        "marketing",
        "location",
        "personalisation",
        "partner_sharing",
    }
    assert {"banner", "settings", "api", "gpc", "unsubscribe", "signup"} <= set(Source.values)


@pytest.mark.commitment("CKE-01")
def test_essential_is_always_allowed_and_cannot_be_recorded(alice: User) -> None:
    assert selectors.has_consent(purpose="essential") is True
    assert selectors.has_consent(purpose="essential", user=alice) is True

    with pytest.raises(InvalidConsent):
        services.consent_record(purpose="essential", granted=False, source="banner", user=alice)
    assert ConsentRecord.objects.count() == 0


@pytest.mark.commitment("CKE-02")
@pytest.mark.parametrize("purpose", OPTIONAL_PURPOSES)
def test_no_record_means_no(purpose: str, alice: User) -> None:
    assert selectors.has_consent(purpose=purpose, user=alice) is False
    assert selectors.has_consent(purpose=purpose, visitor_id=VISITOR) is False
    assert selectors.has_consent(purpose=purpose) is False


@pytest.mark.commitment("RGT-05")
def test_latest_record_decides_and_history_is_kept(alice: User) -> None:
    services.consent_record(purpose="analytics", granted=True, source="banner", user=alice)
    assert selectors.has_consent(purpose="analytics", user=alice) is True

    services.consent_record(purpose="analytics", granted=False, source="settings", user=alice)

    assert selectors.has_consent(purpose="analytics", user=alice) is False
    history = list(
        ConsentRecord.objects.filter(user=alice).order_by("id").values_list("granted", "source")
    )
    assert history == [(True, "banner"), (False, "settings")]


@pytest.mark.commitment("AUT-03")
def test_a_record_carries_policy_version_and_source_and_no_location(alice: User) -> None:
    with override_settings(PRIVACY_POLICY_VERSION="2031-07"):
        record = services.consent_record(
            purpose="marketing", granted=True, source="signup", user=alice
        )
    record.refresh_from_db()
    assert (record.policy_version, record.source) == ("2031-07", "signup")
    assert record.visitor_id == ""
    assert not any(f.name == "country" for f in ConsentRecord._meta.concrete_fields)


def test_one_purpose_does_not_answer_for_another(alice: User) -> None:
    services.consent_record(purpose="location", granted=True, source="settings", user=alice)

    assert selectors.has_consent(purpose="location", user=alice) is True
    assert selectors.has_consent(purpose="personalisation", user=alice) is False


def test_anonymous_visitor_records_and_customer_records_are_apart(alice: User, bob: User) -> None:
    services.consent_record(purpose="analytics", granted=True, source="banner", visitor_id=VISITOR)

    assert selectors.has_consent(purpose="analytics", visitor_id=VISITOR) is True
    assert selectors.has_consent(purpose="analytics", visitor_id="w" * 32) is False
    assert selectors.has_consent(purpose="analytics", user=bob) is False
    # The browser's choice made before signing in applies until the customer chooses.
    assert selectors.has_consent(purpose="analytics", user=alice, visitor_id=VISITOR) is True
    services.consent_record(purpose="analytics", granted=False, source="settings", user=alice)
    assert selectors.has_consent(purpose="analytics", user=alice, visitor_id=VISITOR) is False


def test_a_record_needs_a_subject_and_known_words() -> None:
    with pytest.raises(InvalidConsent):
        services.consent_record(purpose="analytics", granted=True, source="banner")
    with pytest.raises(InvalidConsent):
        services.consent_record(
            purpose="analytics", granted=True, source="banner", visitor_id="short"
        )
    with pytest.raises(InvalidConsent):
        services.consent_record(
            purpose="tracking", granted=True, source="banner", visitor_id=VISITOR
        )
    with pytest.raises(InvalidConsent):
        services.consent_record(
            purpose="analytics", granted=True, source="cookie", visitor_id=VISITOR
        )
    with pytest.raises(ValueError, match="unknown purpose"):
        selectors.has_consent(purpose="tracking", visitor_id=VISITOR)
    assert ConsentRecord.objects.count() == 0


def test_the_database_refuses_a_record_without_subject() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentRecord.objects.create(
            purpose="analytics", granted=True, source="banner", policy_version="x"
        )


def test_records_are_append_only(alice: User) -> None:
    record = services.consent_record(purpose="analytics", granted=True, source="banner", user=alice)

    record.granted = False
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    with pytest.raises(ValueError, match="append-only"):
        ConsentRecord.objects.filter(pk=record.pk).update(granted=False)
    # Below the ORM too: the database refuses an UPDATE.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE consent_consentrecord SET granted = %s WHERE id = %s", [False, record.pk]
        )
    assert ConsentRecord.objects.get(pk=record.pk).granted is True


@pytest.mark.commitment("RGT-05")
def test_choices_save_writes_only_changes(alice: User) -> None:
    first = services.consent_choices_save(
        choices={"analytics": True, "marketing": False}, source="settings", user=alice
    )
    again = services.consent_choices_save(
        choices={"analytics": True, "marketing": True}, source="settings", user=alice
    )

    assert [r.purpose for r in first] == ["analytics", "marketing"]
    assert [(r.purpose, r.granted) for r in again] == [("marketing", True)]
    assert selectors.consent_choices(user=alice)["marketing"] is True
    assert selectors.consent_choices(user=alice)["location"] is None


def test_choices_under_a_new_policy_are_recorded_again(alice: User) -> None:
    services.consent_choices_save(choices={"analytics": True}, source="banner", user=alice)
    with override_settings(PRIVACY_POLICY_VERSION="next"):
        again = services.consent_choices_save(
            choices={"analytics": True}, source="banner", user=alice
        )
    assert [(r.policy_version, r.granted) for r in again] == [("next", True)]


@pytest.mark.commitment("CKE-03")
def test_gpc_opt_out_is_recorded_once(alice: User) -> None:
    services.consent_record(purpose="marketing", granted=True, source="signup", user=alice)

    written = services.consent_apply_gpc(user=alice)
    again = services.consent_apply_gpc(user=alice)

    assert sorted(r.purpose for r in written) == ["marketing", "partner_sharing", "personalisation"]
    assert all(r.source == "gpc" and not r.granted for r in written)
    assert again == []
    assert selectors.has_consent(purpose="marketing", user=alice) is False
    # GPC says nothing about analytics or preferences.
    assert ConsentRecord.objects.filter(user=alice, purpose="analytics").count() == 0


@pytest.mark.commitment("RGT-06")
@pytest.mark.parametrize(
    ("scope", "stopped", "untouched"),
    [
        ("analytics", {"analytics"}, {"personalisation", "marketing", "location"}),
        ("personalisation", {"personalisation", "location"}, {"analytics", "marketing"}),
        ("marketing", {"marketing", "partner_sharing"}, {"analytics", "personalisation"}),
        ("restriction", set(OPTIONAL_PURPOSES), set()),
    ],
)
def test_objection_overrides_consent_at_once(
    alice: User, scope: str, stopped: set[str], untouched: set[str]
) -> None:
    services.consent_choices_save(
        choices=dict.fromkeys(OPTIONAL_PURPOSES, True), source="settings", user=alice
    )

    services.objection_set(user=alice, scope=scope, active=True)

    for purpose in stopped:
        assert selectors.has_consent(purpose=purpose, user=alice) is False, purpose
    for purpose in untouched:
        assert selectors.has_consent(purpose=purpose, user=alice) is True, purpose
    assert selectors.has_consent(purpose="essential", user=alice) is True

    services.objection_set(user=alice, scope=scope, active=False)

    assert all(selectors.has_consent(purpose=p, user=alice) for p in OPTIONAL_PURPOSES)


@pytest.mark.commitment("RGT-06")
def test_objection_records_only_changes_and_is_per_customer(alice: User, bob: User) -> None:
    assert services.objection_set(user=alice, scope="analytics", active=True) is not None
    assert services.objection_set(user=alice, scope="analytics", active=True) is None
    services.consent_record(purpose="analytics", granted=True, source="settings", user=bob)

    assert selectors.objections_of(user=alice)[Objection.ANALYTICS] is True
    assert selectors.objections_of(user=bob)[Objection.ANALYTICS] is False
    assert selectors.has_consent(purpose="analytics", user=bob) is True
    assert ObjectionRecord.objects.count() == 1
    with pytest.raises(InvalidConsent):
        services.objection_set(user=alice, scope="everything", active=True)


def test_latest_by_time_not_by_insertion(alice: User) -> None:
    later = services.consent_record(purpose="analytics", granted=True, source="api", user=alice)
    ConsentRecord.objects.create(
        user=alice,
        purpose="analytics",
        granted=False,
        source="api",
        policy_version="x",
        created_at=later.created_at - timedelta(days=1),
    )
    assert selectors.has_consent(purpose="analytics", user=alice) is True


def test_has_consent_costs_few_queries(alice: User, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    services.consent_record(purpose="analytics", granted=True, source="api", user=alice)
    with django_assert_max_num_queries(2):
        assert selectors.has_consent(purpose="analytics", user=alice) is True


@pytest.mark.commitment("SHR-04")
def test_partner_sharing_needs_its_own_consent(alice: User) -> None:
    services.consent_choices_save(choices={"marketing": True}, source="signup", user=alice)
    assert selectors.has_consent(purpose="marketing", user=alice) is True
    assert selectors.has_consent(purpose="partner_sharing", user=alice) is False

    services.consent_record(purpose="partner_sharing", granted=True, source="settings", user=alice)
    assert selectors.has_consent(purpose="partner_sharing", user=alice) is True

    # Objecting to marketing covers joint marketing with partners too.
    services.objection_set(user=alice, scope="marketing", active=True)
    assert selectors.has_consent(purpose="partner_sharing", user=alice) is False
    services.objection_set(user=alice, scope="marketing", active=False)
    # And Global Privacy Control is an opt-out of it.
    services.consent_apply_gpc(user=alice)
    assert selectors.has_consent(purpose="partner_sharing", user=alice) is False

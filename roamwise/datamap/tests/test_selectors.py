from __future__ import annotations

import pytest
from django.test import Client

from roamwise.accounts.models import User
from roamwise.datamap.registry import data_map
from roamwise.datamap.selectors import (
    fields_in_category,
    personal_data_of,
    records_of_processing,
    subject_of,
)
from roamwise.testing.people import enable_totp, totp_code


@pytest.mark.commitment("RGT-01")
def test_every_personal_field_of_a_subject_is_found(alice: User, bob: User) -> None:
    alice.first_name = "Alice"
    alice.save()

    held = personal_data_of(alice)

    by_model = {record.model: record for record in held}
    assert {"accounts.User", "accounts.Profile", "account.EmailAddress"} <= set(by_model)
    profile_values = {v.name: v.value for v in by_model["accounts.Profile"].values}
    assert profile_values["phone"] == "+447911123456"
    user_values = {v.name: v.value for v in by_model["accounts.User"].values}
    assert user_values["first_name"] == "Alice"
    everything = repr(held)
    assert "bob" not in everything


def test_fields_in_a_category_include_its_subcategories() -> None:
    contact = fields_in_category("user.contact")

    assert ("accounts.Profile", "phone") in contact
    assert ("account.EmailAddress", "email") in contact
    assert ("accounts.ParentalConsent", "parent_email") in contact
    assert ("accounts.Profile", "date_of_birth") not in contact


@pytest.mark.commitment("POL-01")
def test_records_of_processing_come_from_the_data_map(db: None) -> None:
    records = records_of_processing()

    assert len(records) == len(data_map)
    profile = next(r for r in records if r.model == "accounts.Profile")
    assert "Phone number" in profile.categories
    assert profile.legal_basis == "Performance of our contract with you"
    assert profile.retention.startswith("While the account is open")


def test_subject_of_follows_the_declared_path(alice: User) -> None:
    assert subject_of(alice.profile) == alice
    assert subject_of(alice) == alice


@pytest.mark.commitment("SEC-03")
def test_records_of_processing_page_is_for_privacy_staff_only(
    client: Client, alice: User, staff: User
) -> None:
    client.force_login(alice)
    assert client.get("/admin/records-of-processing/").status_code in (302, 403)

    staff_client = Client()
    secret = enable_totp(staff)
    staff_client.post(
        "/accounts/login/", {"login": staff.username, "password": "correct horse battery staple 42"}
    )
    staff_client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    page = staff_client.get("/admin/records-of-processing/")

    assert page.status_code == 200
    assert "accounts.Profile" in page.content.decode()

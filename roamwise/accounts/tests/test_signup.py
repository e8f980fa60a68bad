from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
from django.core import mail
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import ParentalConsent, Profile, User
from roamwise.testing.helpers import code_in, link_in, rows_containing
from roamwise.testing.people import PASSWORD, PRODUCTION_HASHERS, signup, years_ago
from roamwise.vault.models import DataKey


def confirm_email(client: Client, message_body: str) -> None:
    response = client.post("/accounts/confirm-email/", {"code": code_in(message_body)})
    assert response.status_code == 302


@pytest.mark.commitment("ACC-01")
@pytest.mark.django_db
def test_signup_stores_username_email_phone_and_requires_verification(client: Client) -> None:
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.com"
    assert Profile.objects.get(user=user).phone == "+447911123456"
    assert EmailAddress.objects.get(user=user).verified is False
    # Not signed in until the address is verified: nothing can be bought.
    assert client.get("/account/").status_code == 302
    login = client.post("/accounts/login/", {"login": "carol", "password": PASSWORD})
    assert login["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) >= 1
    confirm_email(client, mail.outbox[-1].body)

    assert EmailAddress.objects.get(user=user).verified is True
    response = client.post("/accounts/login/", {"login": "carol", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200


@pytest.mark.commitment("ACC-02")
@pytest.mark.django_db
def test_password_is_hashed_with_argon2id_and_never_kept_in_clear(
    client: Client, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the suite's own are cheaper
    signup(client)

    user = User.objects.get(username="carol")
    assert user.password.startswith("argon2$argon2id$")
    assert type(identify_hasher(user.password)) is Argon2PasswordHasher
    # Django's production parameters, not the suite's quick ones.
    assert "$m=102400,t=2,p=8$" in user.password
    assert rows_containing(PASSWORD) == []


@pytest.mark.commitment("ACC-01")
@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["12", "not a phone", "+44 1234", ""])
def test_signup_refuses_an_invalid_phone_number(client: Client, phone: str) -> None:
    response = signup(client, phone=phone)

    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not User.objects.filter(username="carol").exists()


@pytest.mark.commitment("CHD-01")
@pytest.mark.django_db
def test_under_thirteen_is_refused_and_nothing_about_them_is_kept(client: Client) -> None:
    response = signup(
        client,
        username="tiny_tim",
        email="tiny.tim@example.com",
        phone="+44 7911 654321",
        date_of_birth=years_ago(12, days=-1).isoformat(),  # 13th birthday is tomorrow
        parent_email="tims.parent@example.com",
    )

    assert response.status_code == 200
    assert "at least 13" in str(response.context["form"].errors["date_of_birth"])
    assert User.objects.count() == 0
    for needle in [
        "tiny_tim",
        "tiny.tim@example.com",
        "+447911654321",
        "7911 654321",
        "tims.parent@example.com",
    ]:
        assert rows_containing(needle) == [], needle
    assert mail.outbox == []


@pytest.mark.commitment("CHD-01")
@pytest.mark.django_db
def test_thirteenth_birthday_is_old_enough(client: Client) -> None:
    response = signup(
        client, date_of_birth=years_ago(13).isoformat(), parent_email="parent@example.com"
    )

    assert response.status_code == 302
    assert User.objects.filter(username="carol").exists()


@pytest.mark.commitment("CHD-02")
@pytest.mark.django_db
def test_minor_needs_a_parent_email_that_is_not_their_own(client: Client) -> None:
    born = years_ago(15).isoformat()

    missing = signup(client, date_of_birth=born)
    same = signup(client, date_of_birth=born, parent_email="carol@example.com")

    assert "parent_email" in missing.context["form"].errors
    assert "parent_email" in same.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.commitment("CHD-02")
@pytest.mark.django_db
def test_minor_account_stays_locked_until_a_parent_consents(client: Client) -> None:
    signup(client, date_of_birth=years_ago(15).isoformat(), parent_email="Parent@Example.com")
    assert "_auth_user_id" not in client.session
    child = User.objects.get(username="carol")
    consent = ParentalConsent.objects.get(child=child)
    assert consent.status == ParentalConsent.Status.PENDING
    to_parent = [m for m in mail.outbox if m.to == ["Parent@example.com"]]
    to_child = [m for m in mail.outbox if m.to == ["carol@example.com"]]
    assert len(to_parent) == 1 and len(to_child) == 1
    confirm_email(client, to_child[0].body)

    # Verified email, right password, still locked.
    locked = client.post("/accounts/login/", {"login": "carol", "password": PASSWORD})
    assert locked["Location"] == "/account/awaiting-consent/"
    assert "_auth_user_id" not in client.session

    parent = Client()
    consent_page = link_in(to_parent[0].body, "/account/parental-consent/")
    assert "carol" in parent.get(consent_page).content.decode()
    granted = parent.post(consent_page, {"decision": "grant"})
    assert granted.status_code == 200
    consent.refresh_from_db()
    assert consent.status == ParentalConsent.Status.GRANTED
    assert consent.decided_at is not None

    opened = client.post("/accounts/login/", {"login": "carol", "password": PASSWORD})
    assert opened["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(child.pk)


@pytest.mark.commitment("CHD-02")
@pytest.mark.django_db
def test_parent_refusing_deletes_the_minor_account(client: Client) -> None:
    signup(client, date_of_birth=years_ago(16).isoformat(), parent_email="parent@example.com")
    to_parent = next(m for m in mail.outbox if m.to == ["parent@example.com"])
    consent_page = link_in(to_parent.body, "/account/parental-consent/")

    child = User.objects.get(username="carol")
    assert DataKey.objects.filter(subject_id=child.public_id).exists()

    response = Client().post(consent_page, {"decision": "refuse"})

    assert response.status_code == 200
    assert not User.objects.filter(username="carol").exists()
    assert rows_containing("carol@example.com") == []
    assert not DataKey.objects.filter(subject_id=child.public_id).exists()


@pytest.mark.commitment("CHD-02")
@pytest.mark.django_db
def test_consent_links_that_are_forged_or_expired_do_nothing(client: Client) -> None:
    signup(client, date_of_birth=years_ago(14).isoformat(), parent_email="parent@example.com")
    to_parent = next(m for m in mail.outbox if m.to == ["parent@example.com"])
    consent_page = link_in(to_parent.body, "/account/parental-consent/")

    forged = client.post("/account/parental-consent/not-a-real-token/", {"decision": "grant"})
    ParentalConsent.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.post(consent_page, {"decision": "grant"})

    assert forged.status_code == 404
    assert expired.status_code == 410
    assert ParentalConsent.objects.get().status == ParentalConsent.Status.PENDING

"""No integer user id leaves the server, and emails speak of SITE_URL and
SITE_NAME whatever Host the request that caused them came with."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client, RequestFactory, TestCase
from django.utils.http import int_to_base36

from roamwise.accounts.models import User
from roamwise.testing.helpers import code_in, link_in, run_jobs
from roamwise.testing.people import PASSWORD

pytestmark = pytest.mark.django_db

SITE_URL = "https://shop.roamwise.example"
SITE_NAME = "Roamwise Travel"
# The request comes in with another Host: a proxy's, a mistyped one, an attacker's.
OTHER_HOST = "evil.example"
LOGIN = "/_allauth/app/v1/auth/login"
RESET = "/_allauth/app/v1/auth/password/reset"


@pytest.fixture
def site(settings: Any) -> None:
    settings.SITE_URL = SITE_URL
    settings.SITE_NAME = SITE_NAME
    settings.ALLOWED_HOSTS = [OTHER_HOST, "testserver"]


def _numbers_in(payload: Any) -> list[int]:
    if isinstance(payload, bool):
        return []
    if isinstance(payload, int):
        return [payload]
    if isinstance(payload, dict):
        return [n for value in payload.values() for n in _numbers_in(value)]
    if isinstance(payload, list):
        return [n for value in payload for n in _numbers_in(value)]
    return []


def _pk_forms(user: User) -> set[str]:
    return {str(user.pk), int_to_base36(user.pk)}


def _send(client: Client, path: str, data: dict[str, str], *, api: bool = False) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        if api:
            response = client.post(
                path, json.dumps(data), content_type="application/json", HTTP_HOST=OTHER_HOST
            )
        else:
            response = client.post(path, data, HTTP_HOST=OTHER_HOST)
    run_jobs()
    return response


@pytest.mark.commitment("SEC-03")
def test_the_login_answer_names_the_user_by_public_id(client: Client, alice: User) -> None:
    answer = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["data"]["user"]["id"] == str(alice.public_id)
    assert alice.pk not in _numbers_in(body["data"]["user"])
    # The published spec says what the answer holds.
    spec = client.get("/_allauth/openapi.json").json()
    assert spec["components"]["schemas"]["User"]["properties"]["id"]["type"] == "string"


@pytest.mark.commitment("ACC-04")
@pytest.mark.parametrize("api", [False, True], ids=["form", "headless"])
def test_a_reset_link_holds_no_pk_points_at_site_url_and_works(
    client: Client, alice: User, site: None, api: bool
) -> None:
    path = RESET.replace("/reset", "/request") if api else "/accounts/password/reset/"
    _send(client, path, {"email": "alice@example.com"}, api=api)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert f"{SITE_URL}/accounts/password/reset/key/" in body
    assert OTHER_HOST not in body
    assert f"Hello from {SITE_NAME}!" in body
    link = link_in(body, "/accounts/password/reset/key/")
    key = link.rstrip("/").rsplit("/", 1)[1]
    uid = key.partition("-")[0]
    assert uid == alice.public_id.hex
    assert uid not in _pk_forms(alice)

    new_password = "a brand new passphrase 78"
    if api:
        checked = client.get(RESET, headers={"X-Password-Reset-Key": key})
        assert checked.status_code == 200, checked.content
        assert checked.json()["data"]["user"]["id"] == str(alice.public_id)
        done = client.post(
            RESET, {"key": key, "password": new_password}, content_type="application/json"
        )
        assert done.status_code in (200, 401), done.content
    else:
        page = client.get(link, follow=True)
        set_url = page.redirect_chain[-1][0] if page.redirect_chain else link
        done = client.post(set_url, {"password1": new_password, "password2": new_password})
        assert done.status_code == 302
    assert alice.__class__.objects.get(pk=alice.pk).check_password(new_password)


def test_a_reset_key_naming_the_integer_pk_is_refused(client: Client, alice: User) -> None:
    key = f"{int_to_base36(alice.pk)}-anything"
    assert client.get(RESET, headers={"X-Password-Reset-Key": key}).status_code == 400


@pytest.mark.commitment("ACC-04")
def test_the_sign_up_email_holds_a_code_and_no_link(client: Client, site: None) -> None:
    _send(
        client,
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "phone": "+44 7911 123456",
            "date_of_birth": "1990-01-01",
            "parent_email": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    carol = User.objects.get(username="carol")
    body = mail.outbox[-1].body
    assert f"Hello from {SITE_NAME}!" in body
    assert "http" not in body.replace(SITE_URL, "") and OTHER_HOST not in body
    assert client.post("/accounts/confirm-email/", {"code": code_in(body)}).status_code == 302
    assert carol.emailaddress_set.get().verified


@pytest.mark.commitment("ACC-04")
def test_the_confirmation_link_holds_no_pk_and_points_at_site_url(
    client: Client, site: None, alice: User
) -> None:
    # The one confirmation still sent by link: an address staff asked for.
    address = EmailAddress.objects.create(user=alice, email="new@example.com")
    request = RequestFactory().get("/", HTTP_HOST=OTHER_HOST)
    request.session = client.session
    request.user = AnonymousUser()
    with TestCase.captureOnCommitCallbacks(execute=True):
        EmailConfirmation.create(address).send(request)
    run_jobs()
    body = mail.outbox[-1].body
    assert f"{SITE_URL}/accounts/confirm-email/" in body
    assert OTHER_HOST not in body and "testserver" not in body
    link = link_in(body, "/accounts/confirm-email/")
    key = link.rstrip("/").rsplit("/", 1)[1]
    # allauth's default key is the email address's pk, signed: readable by anyone.
    assert ":" not in key
    assert not re.fullmatch(r"[0-9a-z]{1,13}", key)
    assert client.post(link).status_code == 302
    address.refresh_from_db()
    assert address.verified


@pytest.mark.commitment("SEC-03")
def test_a_security_keys_user_handle_is_the_public_id(alice: User) -> None:
    entity = get_mfa_adapter().get_public_key_credential_user_entity(alice)
    assert entity["id"] == alice.public_id.hex.encode()
    assert entity["id"].decode() not in _pk_forms(alice)

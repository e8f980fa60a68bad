from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client, TestCase

from roamwise.accounts.models import AccountClosure, User
from roamwise.testing.helpers import link_in
from roamwise.testing.people import PASSWORD, enable_totp, totp_code


def login(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post("/accounts/login/", {"login": username, "password": password})


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.commitment("ACC-01")
def test_login_and_logout(client: Client, alice: User) -> None:
    response = login(client, "alice")
    assert response.status_code == 302
    assert signed_in_as(client) == str(alice.pk)

    client.post("/accounts/logout/")

    assert signed_in_as(client) is None


@pytest.mark.commitment("ACC-01")
def test_login_by_email_address(client: Client, alice: User) -> None:
    login(client, "alice@example.com")
    assert signed_in_as(client) == str(alice.pk)


@pytest.mark.commitment("ACC-03")
def test_login_with_totp_needs_the_code(client: Client, alice: User) -> None:
    secret = enable_totp(alice)

    first = login(client, "alice")
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_as(client) is None
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert signed_in_as(client) is None

    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert right.status_code == 302
    assert signed_in_as(client) == str(alice.pk)


@pytest.mark.commitment("ACC-03")
def test_recovery_code_signs_in_once(client: Client, alice: User) -> None:
    enable_totp(alice)
    code = RecoveryCodes.activate(alice).get_unused_codes()[0]

    login(client, "alice")
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert signed_in_as(client) == str(alice.pk)

    client.post("/accounts/logout/")
    login(client, "alice")
    reused = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert reused.status_code == 200
    assert signed_in_as(client) is None


@pytest.mark.commitment("ACC-04")
def test_repeated_failures_lock_the_login(client: Client, alice: User, settings: object) -> None:
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):  # type: ignore[attr-defined]
        failed = login(client, "alice", "wrong password")
        assert failed.status_code == 200
    locked = login(client, "alice", PASSWORD)

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.LOGIN_LOCKOUT_SECONDS)  # type: ignore[attr-defined]
    assert "Too many attempts" in locked.content.decode()
    assert signed_in_as(client) is None
    # Another account is not locked by alice's failures.
    make_bob = User.objects.create_user("bobby", "bobby@example.com", PASSWORD)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=make_bob, email=make_bob.email, primary=True, verified=True)
    other = Client()
    login(other, "bobby")
    assert other.session.get("_auth_user_id") == str(make_bob.pk)


@pytest.mark.commitment("ACC-04")
def test_session_key_rotates_on_login(client: Client, alice: User) -> None:
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key

    login(client, "alice")

    assert client.session.session_key != before


@pytest.mark.commitment("ACC-04")
def test_password_reset_by_email(client: Client, alice: User, jobs: object) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    jobs()  # type: ignore[operator]
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0].body, "/accounts/password/reset/key/")

    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new_password = "a brand new passphrase 77"
    done = client.post(set_url, {"password1": new_password, "password2": new_password})

    assert done.status_code == 302
    assert login(Client(), "alice", PASSWORD).status_code == 200  # old one refused
    fresh = Client()
    login(fresh, "alice", new_password)
    assert fresh.session.get("_auth_user_id") == str(alice.pk)


@pytest.mark.commitment("ACC-04")
def test_sessions_are_listed_and_others_can_be_signed_out(alice: User) -> None:
    laptop, phone = Client(), Client()
    login(laptop, "alice")
    login(phone, "alice")
    assert UserSession.objects.filter(user=alice).count() == 2
    listing = laptop.get("/accounts/sessions/")
    assert listing.status_code == 200
    assert listing.context["session_count"] == 2

    laptop.post("/accounts/sessions/")

    assert UserSession.objects.filter(user=alice).count() == 1
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302


def reauthenticate(client: Client) -> None:
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})


@pytest.mark.commitment("ACC-05")
@pytest.mark.commitment("RET-01")
def test_closing_the_account_stops_it_at_once_and_schedules_deletion(alice: User) -> None:
    laptop, phone = Client(), Client()
    login(laptop, "alice")
    login(phone, "alice")

    reauthenticate(laptop)
    response = laptop.post("/account/close/", {"confirm": "close"})

    assert response.status_code == 200
    closure = AccountClosure.objects.get(user=alice)
    assert closure.delete_after - closure.closed_at == timedelta(days=30)
    alice.refresh_from_db()
    assert alice.is_active is False
    assert UserSession.objects.filter(user=alice).count() == 0
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302
    again = Client()
    refused = login(again, "alice")
    assert again.session.get("_auth_user_id") is None
    assert refused["Location"] == "/accounts/inactive/"


@pytest.mark.commitment("ACC-05")
def test_closing_needs_recent_reauthentication(client: Client, alice: User) -> None:
    login(client, "alice")
    assert client.post("/account/close/", {"confirm": "close"})["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    reauthenticate(client)
    session = client.session
    # Age the sign-in past the reauthentication window.
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= 3600
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()

    response = client.post("/account/close/", {"confirm": "close"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not AccountClosure.objects.filter(user=alice).exists()


@pytest.mark.commitment("ACC-05")
def test_closing_without_confirmation_changes_nothing(client: Client, alice: User) -> None:
    login(client, "alice")
    reauthenticate(client)

    response = client.post("/account/close/", {})

    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.is_active is True
    assert not AccountClosure.objects.filter(user=alice).exists()


@pytest.mark.commitment("ACC-05")
@pytest.mark.commitment("RET-01")
def test_accounts_are_due_for_erasure_when_their_grace_period_ends(alice: User, bob: User) -> None:
    """Which closed accounts are due; erasing them is ``rights.erasure.erase_subject``,
    called by the retention sweep (apps never import rights, ADR 0010)."""
    from django.utils import timezone

    from roamwise.accounts.selectors import closed_accounts_due
    from roamwise.accounts.services import account_close

    account_close(user=alice)
    account_close(user=bob)
    month_ago = timezone.now() - timedelta(days=31)
    AccountClosure.objects.filter(user=alice).update(
        closed_at=month_ago, delete_after=month_ago + timedelta(days=30)
    )

    assert list(closed_accounts_due()) == [alice]  # bob is still in his grace period

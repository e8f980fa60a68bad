"""Staff cannot take over an account through the back office (ACC-04): a new
sign-in email they enter is sent for confirmation to its owner, the current
address is told, the change is audited with its reason, and a password reset
only ever goes to a verified address."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client, TestCase

from roamwise.accounts.models import StaffEmailChange, User
from roamwise.audit import roles
from roamwise.audit.models import AccessEvent
from roamwise.testing.helpers import link_in, run_jobs
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code

NEW = "mallory@evil.example"
REASON = "Ticket 77: customer lost access to their mailbox"


@pytest.fixture
def customer(db: None) -> User:
    roles.ensure_roles()
    return make_customer("carol")


def privacy_officer() -> Client:
    """A privacy officer signed in to the back office with their second factor."""
    member = make_customer("paula", is_staff=True)
    member.groups.add(Group.objects.get(name=roles.PRIVACY_OFFICER))
    secret = enable_totp(member)
    client = Client()
    client.post("/accounts/login/", {"login": "paula", "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    return client


def change_form(client: Client, customer: User, **changes: str) -> Any:
    """Open the customer's record with a reason, then post its form with ``changes``."""
    url = f"/admin/accounts/user/{customer.pk}/change/"
    client.post(url, {"_audit_reason": REASON})
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": customer.username,
            "first_name": "",
            "last_name": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(customer.profile.pk),
            "profile-0-user": str(customer.pk),
            "profile-0-phone": "+447911123456",
            "profile-0-date_of_birth": "1990-05-17",
            **changes,
        }
    )
    for name in ("groups", "user_permissions"):
        data.pop(name, None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    run_jobs()
    return response


def reset_password(address: str) -> list[str]:
    """Ask for a password reset for ``address``; the reset links that went out."""
    before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": address})
    run_jobs()
    return [
        f"{m.to[0]} {link_in(m.body, '/accounts/password/reset/key/')}"
        for m in mail.outbox[before:]
        if "/accounts/password/reset/key/" in m.body
    ]


def sent_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


@pytest.mark.commitment("ACC-04")
@pytest.mark.commitment("SEC-04")
def test_a_staff_email_change_waits_for_its_owner_and_cannot_take_the_account_over(
    customer: User,
) -> None:
    client = privacy_officer()
    mail.outbox.clear()

    response = change_form(client, customer, email=NEW)

    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"  # unchanged until confirmed
    addresses = EmailAddress.objects.filter(user=customer).order_by("pk")
    assert [(a.email, a.verified, a.primary) for a in addresses] == [
        ("carol@example.com", True, True),
        (NEW, False, False),
    ]
    # Audited, with the reason given on opening the record; the address is not copied.
    change = AccessEvent.objects.get(action="change")
    assert (change.fields, change.reason) == (["email"], REASON)
    assert NEW not in change.reason
    # The new address gets the confirmation link, the current one is told.
    assert link_in(sent_to(NEW)[-1].body, "/accounts/confirm-email/")
    (notice,) = sent_to("carol@example.com")
    assert "A change of your sign-in email was requested" in notice.subject
    assert "m***@evil.example" in notice.body
    # The takeover the probe made: a reset to the new address. None goes out.
    assert reset_password(NEW) == []
    assert [r.split()[0] for r in reset_password("carol@example.com")] == ["carol@example.com"]


@pytest.mark.commitment("ACC-04")
def test_the_new_address_becomes_the_sign_in_address_once_its_owner_confirms(
    customer: User,
) -> None:
    change_form(privacy_officer(), customer, email=NEW)
    link = link_in(sent_to(NEW)[-1].body, "/accounts/confirm-email/")
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        confirmed = Client().post(link)
    run_jobs()

    assert confirmed.status_code == 302
    customer.refresh_from_db()
    assert customer.email == NEW
    assert [(a.email, a.verified, a.primary) for a in customer.emailaddress_set.all()] == [
        (NEW, True, True)
    ]
    assert StaffEmailChange.objects.get().confirmed_at is not None
    (notice,) = sent_to("carol@example.com")
    assert "Your sign-in email was changed" in notice.subject
    assert [r.split()[0] for r in reset_password(NEW)] == [NEW]


@pytest.mark.commitment("ACC-04")
def test_a_password_reset_never_goes_to_an_unverified_address(customer: User) -> None:
    EmailAddress.objects.create(user=customer, email="second@example.com", verified=False)
    unverified = make_customer("dave", verified=False)

    assert reset_password("second@example.com") == []
    assert reset_password(unverified.email) == []
    assert [r.split()[0] for r in reset_password("carol@example.com")] == ["carol@example.com"]


def test_an_address_of_another_account_is_refused(customer: User) -> None:
    make_customer("bob")

    response = change_form(privacy_officer(), customer, email="bob@example.com")

    assert response.status_code == 200
    assert "This address belongs to another account." in response.content.decode()
    customer.refresh_from_db()
    assert customer.email == "carol@example.com"
    assert EmailAddress.objects.filter(user=customer).count() == 1
    assert not StaffEmailChange.objects.exists()


def test_staff_cannot_change_a_customers_username(customer: User) -> None:
    response = change_form(privacy_officer(), customer, username="mallory")

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.username == "carol"

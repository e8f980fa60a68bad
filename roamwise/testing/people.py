"""People in tests: customers, staff signed in with their second factor.

Personas follow the project's convention: ``alice`` is a verified customer,
``bob`` another customer, ``staff`` a back-office superuser.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth.models import Group
from django.test import Client, TestCase
from django.utils import timezone

from roamwise import settings as project_settings
from roamwise.accounts.models import Profile, User
from roamwise.testing.helpers import run_jobs

PASSWORD = "correct horse battery staple 42"
# The suite hashes passwords with Argon2id at its lowest cost (the root
# conftest.py); a test of the hashing itself puts these, settings.py's, back.
PRODUCTION_HASHERS = list(project_settings.PASSWORD_HASHERS)


def make_customer(username: str, *, verified: bool = True, **extra: object) -> User:
    """A customer with a primary email address (verified unless told) and a
    profile (phone, date of birth); ``extra`` goes to the user (``is_staff``)."""
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    Profile.objects.create(user=user, phone="+447911123456", date_of_birth=date(1990, 5, 17))
    return user


def totp_code(secret: str, step: int = 0) -> str:
    """The code of the current 30-second period, or of the one ``step`` after.

    The server accepts one period either side (``MFA_TOTP_TOLERANCE``), so a
    code of the current or the next period still passes when the clock turns
    over between making it and checking it; the previous period's would not.
    """
    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def enable_totp(user: User) -> str:
    """Turn on the authenticator app for ``user``; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def staff_client(role: str | None, username: str) -> tuple[Client, User]:
    """A back-office member signed in with password and TOTP, and its browser.

    ``role`` is a staff role of ``roamwise.audit.roles`` (the member gets that
    group only), ``None`` for a superuser, ``""`` for staff with no role at all.
    """
    member = make_customer(username, is_staff=True, is_superuser=role is None)
    if role:
        member.groups.add(_role_group(role))
    secret = enable_totp(member)
    client = Client()
    client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    return client, member


def _role_group(role: str) -> Group:
    group = Group.objects.filter(name=role).first()
    if group is None:
        # The roles are made after migrate; a test that emptied them gets them back.
        from roamwise.audit.roles import ensure_roles

        ensure_roles()
        group = Group.objects.get(name=role)
    return group


def signed_in(user: User) -> Client:
    """A browser signed in as ``user`` (no second factor asked)."""
    client = Client()
    client.force_login(user)
    return client


def years_ago(years: int, days: int = 0) -> date:
    """The date ``years`` years (and ``days`` days) before today."""
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def signup(client: Client, **overrides: str) -> object:
    """Sign up through the form as ``carol``, 30 years old (``overrides`` change
    the fields), and run the jobs that follow (the confirmation email)."""
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "phone": "+44 7911 123456",
        "date_of_birth": years_ago(30).isoformat(),
        "parent_email": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    # Emails are queued once the sign-up transaction commits: run those hooks,
    # then the jobs that send them.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/accounts/signup/", data)
    run_jobs()
    return response

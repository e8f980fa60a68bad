"""Shared by the governance tests: staff signed in to the back office by role."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client

from roamwise.accounts.models import User
from roamwise.testing.people import PASSWORD, enable_totp, make_customer, totp_code


def back_office(role: str, username: str) -> tuple[Client, User]:
    """A staff member with one role, signed in with their second factor."""
    member = make_customer(username, is_staff=True)
    member.groups.add(Group.objects.get(name=role))
    secret = enable_totp(member)
    client = Client()
    client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    return client, member

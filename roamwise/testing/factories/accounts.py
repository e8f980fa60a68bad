"""Customers and staff."""

from __future__ import annotations

from typing import Any

import factory

from roamwise.accounts.models import User
from roamwise.testing.people import make_customer


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer with a verified primary email address and a profile;
    ``verified=False`` leaves the address unverified."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"customer{n}")
    verified = True

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        username = kwargs.pop("username")
        verified = kwargs.pop("verified")
        return make_customer(username, verified=verified, **kwargs)


class StaffFactory(CustomerFactory):
    """A back-office superuser (no second factor; ``staff_client`` signs one in)."""

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    is_superuser = True

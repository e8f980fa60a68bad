"""Requests under data-protection rights."""

from __future__ import annotations

from typing import Any

import factory

from roamwise.rights.models import DataRequest, RequestKind
from roamwise.rights.services.customer import access_request_self

from .accounts import CustomerFactory


class DataRequestFactory(factory.django.DjangoModelFactory):
    """A signed-in customer's export request from the privacy center, answered
    at once (``kind`` may be ``RequestKind.ACCESS`` too)."""

    class Meta:
        model = DataRequest

    user = factory.SubFactory(CustomerFactory)
    kind = RequestKind.EXPORT

    @classmethod
    def _create(cls, model_class: type[DataRequest], *args: Any, **kwargs: Any) -> DataRequest:
        return access_request_self(**kwargs)

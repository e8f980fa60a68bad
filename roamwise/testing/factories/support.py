"""Support tickets, opened by their customer."""

from __future__ import annotations

from typing import Any

import factory

from roamwise.support.models import Category, Ticket
from roamwise.support.services import ticket_open

from .accounts import CustomerFactory


class TicketFactory(factory.django.DjangoModelFactory):
    """A question a signed-in customer wrote through the web form (``new``)."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    category = Category.QUESTION
    title = factory.Sequence(lambda n: f"Question {n}")
    body = "My eSIM shows no signal in Lyon."

    @classmethod
    def _create(cls, model_class: type[Ticket], *args: Any, **kwargs: Any) -> Ticket:
        return ticket_open(**kwargs)

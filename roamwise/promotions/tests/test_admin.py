"""Promotions in the back office: the marketing role sets them up, with an
amount per currency for a fixed discount, and sees how often each was used."""

from __future__ import annotations

from decimal import Decimal

import pytest

from roamwise.audit.roles import MARKETING, SUPPORT_AGENT
from roamwise.promotions.models import Promotion
from roamwise.testing.factories import PromotionFactory
from roamwise.testing.people import staff_client

pytestmark = pytest.mark.django_db
LIST = "/admin/promotions/promotion/"
ADD = "/admin/promotions/promotion/add/"


def form(**fields: str) -> dict[str, str]:
    return {
        "name": "Spring in Japan",
        "code": " spring ",
        "is_active": "on",
        "kind": "fixed",
        "percent": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "max_uses": "5",
        "max_uses_per_customer": "1",
        "amounts-TOTAL_FORMS": "1",
        "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0",
        "amounts-MAX_NUM_FORMS": "1000",
        "amounts-0-currency": "JPY",
        "amounts-0-amount": "300",
        **fields,
    }


def test_marketing_sets_up_a_fixed_promotion_in_whole_yen() -> None:
    client, _ = staff_client(MARKETING, "mia")

    refused = client.post(ADD, form(**{"amounts-0-amount": "300.50"}))
    no_amount = client.post(ADD, form(**{"amounts-TOTAL_FORMS": "0"}))
    created = client.post(ADD, form())

    assert (
        refused.status_code == 200 and "JPY has no smaller unit than 1" in refused.content.decode()
    )
    assert no_amount.status_code == 200
    assert "at least one currency" in no_amount.content.decode()
    assert created.status_code == 302
    promotion = Promotion.objects.get()
    assert promotion.code == "SPRING"
    assert [(a.currency, a.amount) for a in promotion.amounts.all()] == [("JPY", Decimal("300"))]


def test_the_list_shows_the_uses_so_far_with_readable_labels() -> None:
    PromotionFactory(name="Launch", code="LAUNCH", max_uses=5, uses_count=2)
    PromotionFactory(name="Autumn", code="", percent=Decimal("15"))
    client, _ = staff_client(MARKETING, "mia")

    page = client.get(LIST).content.decode()

    assert "Uses so far" in page and "2 / 5" in page
    assert "Automatic, no code" in page and "15 %" in page


def test_staff_without_the_promotions_permission_cannot_open_them() -> None:
    client, _ = staff_client(SUPPORT_AGENT, "sam")

    assert client.get(LIST).status_code == 403
    assert client.post(ADD, form()).status_code == 403
    assert not Promotion.objects.exists()

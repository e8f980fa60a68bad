"""Erasing data and closing the account tell the truth about the eSIMs: each
live one is listed with its data left and validity, what happens to it and
when, the refund the policy still gives, and the customer confirms it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.accounts.models import AccountClosure, User
from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim, EsimState
from roamwise.orders.models import Order
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.testing.shopping import BILLING

from .conftest import reauthenticate

GB = 1024**3


def paid_esim(customer: User, plan: Plan, state: str, *, days_ago: int = 0) -> Esim:
    order = order_await_payment(order=order_create(customer=customer, plan=plan, billing=BILLING))
    order_mark_paid(order_id=order.pk, actor="test")
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    installed = timezone.now() if state == EsimState.ACTIVE else None
    return Esim.objects.create(
        customer=customer,
        order=order,
        profile_type=plan.profile_type,
        state=state,
        installed_at=installed,
    )


@pytest.fixture
def esims(alice: User, plan: Plan) -> dict[str, Esim]:
    """One in use with 2 of 5 GB used, one bought yesterday and never installed,
    and one deleted already (not listed)."""
    in_use = paid_esim(alice, plan, EsimState.ACTIVE, days_ago=3)
    Bundle.objects.create(
        esim=in_use,
        order=in_use.order,
        plan=plan,
        data_mb=5120,
        validity_days=30,
        state=Bundle.State.ACTIVE,
        starts_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() + timedelta(days=28),
        used_bytes=2 * GB,
    )
    unused = paid_esim(alice, plan, EsimState.READY, days_ago=1)
    gone = paid_esim(alice, plan, EsimState.DELETED, days_ago=5)
    return {"in_use": in_use, "unused": unused, "gone": gone}


def listed(page: str) -> list[str]:
    return re.findall(
        r'<li class="esim-ending">.*?</li>\s*(?=<li class="esim-ending">|</ul>)', page, re.S
    )


@pytest.mark.commitment("RGT-03")
@pytest.mark.django_db
def test_the_erasure_page_says_each_live_esim_stops_now_and_offers_the_refund(
    buyer: Client, alice: User, esims: dict[str, Esim]
) -> None:
    reauthenticate(buyer)
    page = buyer.get("/rights/erase/").content.decode()
    items = listed(page)
    assert len(items) == 2  # the deleted one is not listed
    in_use = next(i for i in items if str(esims["in_use"].public_id) in i)
    unused = next(i for i in items if str(esims["unused"].public_id) in i)
    assert "3.0\xa0GB of 5.0\xa0GB" in in_use and "28 days left" in in_use
    assert "stops working on your phone at once" in in_use
    assert "refund" not in in_use  # installed: the policy gives none
    assert "Ask for your refund" in unused
    assert f'href="/orders/{esims["unused"].order.public_id}/"' in unused

    # Without the eSIM box, nothing happens.
    response = buyer.post("/rights/erase/", {"confirm": "erase"})
    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()
    assert 'name="confirm_esims"' in page


@pytest.mark.commitment("ACC-05")
@pytest.mark.django_db
def test_closing_says_when_the_esims_stop_and_needs_that_confirmed(
    buyer: Client, alice: User, esims: dict[str, Esim], settings: object
) -> None:
    settings.ACCOUNT_DELETION_GRACE_DAYS = 30  # type: ignore[attr-defined]
    reauthenticate(buyer)
    page = buyer.get("/account/close/").content.decode()
    ends = (timezone.now() + timedelta(days=30)).strftime("%B")
    items = listed(page)
    assert len(items) == 2
    assert all("It keeps working until" in item and ends in item for item in items)
    assert "Ask for your refund" in page

    refused = buyer.post("/account/close/", {"confirm": "close"})
    assert refused.status_code == 400
    assert User.objects.get(pk=alice.pk).is_active

    closed = buyer.post("/account/close/", {"confirm": "close", "confirm_esims": "end"})
    assert closed.status_code == 200
    assert AccountClosure.objects.filter(user=alice).exists()
    # Closing stops nothing yet: the eSIMs work until the account is erased.
    assert Esim.objects.get(pk=esims["in_use"].pk).state == EsimState.ACTIVE


@pytest.mark.django_db
def test_without_live_esims_the_pages_ask_only_the_usual_confirmation(
    buyer: Client, alice: User
) -> None:
    reauthenticate(buyer)
    assert "esim-ending" not in buyer.get("/account/close/").content.decode()
    assert buyer.post("/account/close/", {"confirm": "close"}).status_code == 200

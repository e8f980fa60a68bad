"""Two checkouts racing for a promotion's last place: one gets it (ADR 0031).

Each thread has passed the limits' first check before either takes the
place; only the lock in ``promotion_hold`` keeps the second out. SQLite
serialises every write anyway, so this runs on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from roamwise.catalog.models import Plan
from roamwise.orders.services import order_create
from roamwise.promotions import services
from roamwise.promotions.errors import PromotionRefused
from roamwise.promotions.models import Promotion, PromotionUse
from roamwise.testing.factories import PromotionFactory
from roamwise.testing.people import make_customer
from roamwise.testing.shopping import BILLING


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_take_the_last_place_once(
    plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writes")
    promotion = PromotionFactory(code="LAST", max_uses=1)
    customers = [make_customer("ana"), make_customer("ben")]
    both_checked = threading.Barrier(2, timeout=10)
    locked: Callable[[int], Promotion] = services._locked

    def lock_together(promotion_id: int) -> Promotion:
        both_checked.wait()  # both have seen a free place
        return locked(promotion_id)

    monkeypatch.setattr(services, "_locked", lock_together)
    outcomes: list[Any] = []

    def checkout(customer: Any) -> None:
        try:
            order_create(customer=customer, plan=plan, billing=BILLING, promotion_code="last")
            outcomes.append("ordered")
        except PromotionRefused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ordered", "promotion_used_up"]
    assert PromotionUse.objects.filter(promotion=promotion).count() == 1

from __future__ import annotations

import pytest

from .holding import HELD


@pytest.fixture(autouse=True)
def _fulfilment_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about checkout, payment and refunds: the eSIM service is
    not asked to fulfil, so a paid order stays paid. Provisioning after payment
    is proven in roamwise/esims/tests and in the browser journey."""
    from roamwise.orders import tasks
    from roamwise.orders.models import Order

    monkeypatch.setattr(tasks, "FULFILLERS", dict.fromkeys(Order.Kind.values, HELD))
    monkeypatch.setattr(tasks, "REVOKERS", dict.fromkeys(Order.Kind.values, HELD))

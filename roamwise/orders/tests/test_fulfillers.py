"""The step from a paid order to what delivers it is declared in one place
(``orders.tasks.FULFILLERS`` and ``REVOKERS``), checked at start-up, and an
order of a kind nothing handles fails loudly instead of waiting quietly."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.orders import tasks
from roamwise.orders.checks import check_handlers
from roamwise.orders.errors import UnknownOrderKind
from roamwise.orders.models import Fulfilment, Order
from roamwise.testing.shopping import checkout, pay

REAL_FULFILLERS = dict(tasks.FULFILLERS)
REAL_REVOKERS = dict(tasks.REVOKERS)


def test_every_order_kind_has_a_fulfiller_and_a_revoker_that_import() -> None:
    assert check_handlers("FULFILLERS", REAL_FULFILLERS) == []
    assert check_handlers("REVOKERS", REAL_REVOKERS) == []
    assert set(REAL_FULFILLERS) == set(REAL_REVOKERS) == set(Order.Kind.values)


def test_a_kind_without_a_fulfiller_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "FULFILLERS", {"esim": REAL_FULFILLERS["esim"]})

    with pytest.raises(
        SystemCheckError, match="Orders of kind 'topup' have no entry in FULFILLERS"
    ):
        call_command("check")


def test_a_fulfiller_that_does_not_import_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {**REAL_REVOKERS, "topup": "roamwise.esims.services.topup_revoke"}
    monkeypatch.setattr(tasks, "REVOKERS", broken)

    with pytest.raises(SystemCheckError, match=r"REVOKERS\['topup'\].*does not import"):
        call_command("check")


def paid_order_of_unknown_kind(buyer: Client, plan: Plan, jobs: object) -> Order:
    pay(buyer, checkout(buyer, plan), "4242 4242 4242 4242")
    jobs()  # type: ignore[operator]
    order = Order.objects.get()
    # A kind this code does not know, as a row written by other code would have.
    Order.objects.filter(pk=order.pk).update(kind="gift")
    mail.outbox.clear()
    return order


def test_a_paid_order_of_an_unknown_kind_raises_is_logged_and_staff_are_told(
    shop: str, jobs: object, buyer: Client, plan: Plan, caplog: pytest.LogCaptureFixture
) -> None:
    order = paid_order_of_unknown_kind(buyer, plan, jobs)

    with pytest.raises(UnknownOrderKind, match="'gift'"):
        tasks.fulfil_order.call_local(order.pk)
    jobs()  # type: ignore[operator]

    assert Fulfilment.objects.get(order=order).status == Fulfilment.Status.PENDING
    assert any(
        r.levelname == "ERROR" and "no handler for orders of kind 'gift'" in r.getMessage().lower()
        for r in caplog.records
    )
    alert = next(m for m in mail.outbox if str(order.public_id) in m.subject)
    assert alert.to == [settings.STAFF_ALERT_EMAIL]
    assert "cannot be fulfilled" in alert.subject


def test_a_refunded_order_of_an_unknown_kind_raises_instead_of_being_skipped(
    shop: str, jobs: object, buyer: Client, plan: Plan
) -> None:
    order = paid_order_of_unknown_kind(buyer, plan, jobs)

    with pytest.raises(UnknownOrderKind, match="'gift'"):
        tasks.revoke_order.call_local(order.pk)
    jobs()  # type: ignore[operator]

    assert any("cannot be revoked" in m.subject for m in mail.outbox)

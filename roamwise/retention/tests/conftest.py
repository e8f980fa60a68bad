from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pytest
from django.db import transaction

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.models import Order
from roamwise.orders.services import (
    BillingDetails,
    order_await_payment,
    order_create,
    order_mark_paid,
)
from roamwise.payments.models import Payment
from roamwise.retention.models import RetentionRun, RetentionRunRule
from roamwise.retention.sweeps import retention_sweep_run
from roamwise.vault.services import clear_key_cache

BILLING = BillingDetails(
    name="Alice Example",
    line1="1 Rue de Rivoli",
    line2="",
    city="Paris",
    postcode="75001",
    country="FR",
    phone="+33612345678",
)


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> None:
    # Unwrapped keys are cached per process: a key of an earlier test's
    # (rolled back) row would stand in for one this test must create.
    clear_key_cache()


def sweep(
    *rules: str, now: datetime | None = None, dry_run: bool = False, chunk_size: int = 1000
) -> RetentionRun:
    return retention_sweep_run(rules=rules, now=now, dry_run=dry_run, chunk_size=chunk_size)


def outcome(run: RetentionRun, model: str) -> RetentionRunRule:
    return run.rules.get(model=model)


def counts(run: RetentionRun, model: str) -> tuple[int, int, int]:
    """(deleted, anonymised, held) of one rule of a run."""
    rule = outcome(run, model)
    return rule.deleted, rule.anonymised, rule.held


def paid_order(customer: User, plan: Plan, *, processor_ref: str = "cs_test_1") -> Order:
    """An order paid at the simulated processor: invoice, fulfilment, payment."""
    order = order_create(customer=customer, plan=plan, billing=BILLING)
    order_await_payment(order=order)
    with transaction.atomic():
        order_mark_paid(order_id=order.pk, actor="webhook:simulated")
    Payment.objects.create(
        order=order,
        processor="simulated",
        processor_ref=processor_ref,
        status=Payment.Status.SUCCEEDED,
        amount=order.total,
        currency=order.currency,
        card_brand="visa",
        card_last4="4242",
        card_exp_month=12,
        card_exp_year=2030,
    )
    order.refresh_from_db()
    return order


def exists(model: type, pks: Iterable[object]) -> set[object]:
    return set(model._default_manager.filter(pk__in=list(pks)).values_list("pk", flat=True))  # type: ignore[attr-defined]

"""Supplier jobs. They take ids, are safe to run twice, and call one service each."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import periodic_task, task

log = logging.getLogger(__name__)


@task()
def refresh_allocation(allocation_id: int) -> str:
    from roamwise.suppliers import services

    return services.allocation_refresh(allocation_id=allocation_id).status


@task()
def settle_allocation(allocation_id: int) -> str:
    """A profile arrived: the order's eSIM, or an extra one reconciled (ADR 0020)."""
    from roamwise.suppliers import fulfilment

    return fulfilment.allocation_settle(allocation_id=allocation_id)


@task()
def refund_failed_order(order_id: int) -> bool:
    """A top-up its supplier refused: the order failed and is refunded."""
    from roamwise.suppliers.fulfilment import failed_order_refund

    return failed_order_refund(order_id)


@task()
def refresh_usage(allocation_id: int) -> str:
    """Read one supplied eSIM's usage now, if its supplier's cache allows."""
    from roamwise.suppliers import monitoring
    from roamwise.suppliers.errors import SupplierError

    try:
        return monitoring.usage_refresh(allocation_id=allocation_id)
    except SupplierError as exc:
        # The periodic poll reads it later.
        log.warning("usage of allocation %s not read: %s", allocation_id, exc.message)
        return f"failed: {exc.message}"


@periodic_task(crontab(minute="*/5"))
def poll_supplier_usage() -> dict[str, int]:
    """Usage of supplied eSIMs, each no more often than its supplier's cache
    allows (Airalo: 20 minutes), backing off on 429 (ADR 0024)."""
    from roamwise.suppliers.monitoring import usage_poll

    return usage_poll()


@periodic_task(crontab(minute="*"))
def reconcile_lost_supplier_orders() -> dict[str, int]:
    """Orders left for the next source with their answer lost are looked up at
    their supplier: an extra profile is cancelled or kept and recorded, never
    left unknown (ADR 0037)."""
    from roamwise.suppliers.fulfilment import lost_allocations_reconcile

    return lost_allocations_reconcile()


@periodic_task(crontab(minute="*/10"))
def sweep_supplier_topups() -> dict[str, int]:
    """Paid top-ups whose supplier call got no answer are reconciled with the
    supplier; those it does not have, or refused, are refunded (ADR 0037)."""
    from roamwise.suppliers.fulfilment import topups_sweep

    return topups_sweep()


@periodic_task(crontab(minute="7,37"))
def check_supplier_credit() -> dict[str, str]:
    """Our prepaid credit at each supplier; staff are told below its floor."""
    from roamwise.suppliers.monitoring import credits_check

    return credits_check()


@periodic_task(crontab(hour="3", minute="20"))
def sync_supplier_catalogues() -> dict[str, str]:
    """Nightly: import the catalogue of every supplier whose credentials are set.
    One supplier failing does not keep the others from importing."""
    from roamwise.suppliers.catalogue import supplier_catalogue_sync
    from roamwise.suppliers.errors import SupplierError
    from roamwise.suppliers.registry import configured_suppliers

    outcome: dict[str, str] = {}
    for code in configured_suppliers():
        try:
            outcome[code] = supplier_catalogue_sync(supplier_code=code).describe()
        except SupplierError as exc:
            log.warning("supplier %s: catalogue import failed: %s", code, exc.message)
            outcome[code] = f"failed: {exc.message}"
    return outcome

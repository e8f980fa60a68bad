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

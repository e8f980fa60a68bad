"""Supplier jobs. They take ids, are safe to run twice, and call one service each."""

from __future__ import annotations

from huey.contrib.djhuey import task


@task()
def refresh_allocation(allocation_id: int) -> str:
    from roamwise.suppliers import services

    return services.allocation_refresh(allocation_id=allocation_id).status

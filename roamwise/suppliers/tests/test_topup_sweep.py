"""The top-up sweep (ADR 0037): a paid top-up whose call to its supplier got
no answer is reconciled with the supplier once that call is over. One that
landed is added and its order fulfilled; one the supplier does not have is
refunded; nothing is refunded while the supplier cannot be asked, nor sent
twice. The shop, the processor and the stand-ins over HTTP on loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from roamwise.catalog.models import Plan
from roamwise.esims.models import Bundle, Esim
from roamwise.orders.models import OrderStatus
from roamwise.suppliers.airalo import Airalo
from roamwise.suppliers.fulfilment import topups_sweep
from roamwise.suppliers.models import SupplierTopUp
from roamwise.suppliers.standins.airalo import AiraloStandin
from roamwise.suppliers.standins.esimgo import EsimGoStandin
from roamwise.testing.shopping import buy

from .conftest import closed_port_url
from .supplying import (
    ESIMGO_BUNDLE,
    buy_top_up,
    events,
    lost_airalo_top_up,
    supplied_by,
    top_up_plan,
)

pytestmark = pytest.mark.commitment("SIM-02")


def call_over() -> None:
    """Time passes: the lost call can no longer be answering."""
    SupplierTopUp.objects.update(created_at=timezone.now() - timedelta(minutes=5))


def airalo_top_ups(airalo: AiraloStandin) -> list[dict[str, Any]]:
    return [o for o in airalo.orders.values() if o["type"] == "topup"]


def test_a_lost_top_up_that_never_reached_the_supplier_is_refunded(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    topup, _ = lost_airalo_top_up(airalo, buyer, plan, jobs, settings)
    assert topups_sweep() == {"reconciled": 0, "refunded": 0}  # its call may still answer
    call_over()

    outcome = topups_sweep()
    jobs()

    assert outcome == {"reconciled": 1, "refunded": 1}
    topup.refresh_from_db()
    assert topup.status == OrderStatus.REFUNDED
    assert topup.refunds.get().status == "succeeded"
    assert SupplierTopUp.objects.get(order=topup).status == "failed"
    assert Bundle.objects.get(order=topup).state == Bundle.State.CANCELLED
    assert airalo_top_ups(airalo) == []
    # Swept again: nothing more.
    assert topups_sweep() == {"reconciled": 0, "refunded": 0}
    assert topup.refunds.count() == 1


def test_a_lost_top_up_that_landed_is_added_never_refunded(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    topup, esim = lost_airalo_top_up(airalo, buyer, plan, jobs, settings)
    row = SupplierTopUp.objects.get(order=topup)
    # It reached Airalo after all; only its answer was lost.
    Airalo.from_settings().top_up(
        iccid=esim.iccid, package_id=row.package_id, transaction_id=row.transaction_id
    )
    call_over()

    assert topups_sweep() == {"reconciled": 1, "refunded": 0}
    jobs()

    topup.refresh_from_db()
    assert topup.status == OrderStatus.FULFILLED and not topup.refunds.exists()
    row.refresh_from_db()
    assert row.status == "done" and row.reference
    assert Bundle.objects.get(order=topup).state == Bundle.State.ACTIVE
    assert len(airalo_top_ups(airalo)) == 1
    assert any("found at airalo" in n for n in events(topup))


def test_nothing_is_refunded_while_the_supplier_cannot_be_asked(
    shop: str, airalo: AiraloStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    topup, _ = lost_airalo_top_up(airalo, buyer, plan, jobs, settings)
    call_over()
    settings.AIRALO_API_BASE = closed_port_url("/v2")

    assert topups_sweep() == {"reconciled": 0, "refunded": 0}

    topup.refresh_from_db()
    assert topup.status == OrderStatus.PAID and not topup.refunds.exists()
    assert SupplierTopUp.objects.get(order=topup).status == "pending"


def test_a_lost_esimgo_top_up_is_found_by_its_bundle_on_the_esim(
    shop: str, esimgo: EsimGoStandin, buyer: Client, plan: Plan, jobs: Any, settings: Any
) -> None:
    supplied_by(plan, ("esimgo", ESIMGO_BUNDLE))
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))
    extra = top_up_plan("esimgo", "esim_4GB_7D_IT_V2")
    api = settings.ESIMGO_API_BASE
    settings.ESIMGO_API_BASE = closed_port_url("/v2.4")
    topup = buy_top_up(buyer, esim, extra, jobs)
    settings.ESIMGO_API_BASE = api
    call_over()
    assert topups_sweep() == {"reconciled": 1, "refunded": 1}  # it never got there
    jobs()
    topup.refresh_from_db()
    assert topup.status == OrderStatus.REFUNDED
    assert [g["name"] for g in esimgo.esims[esim.iccid]["bundles"]] == [ESIMGO_BUNDLE]

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from roamwise.suppliers import services
from roamwise.suppliers.airalo import Airalo
from roamwise.suppliers.base import Coverage, OrderStatus
from roamwise.suppliers.errors import NeedsReconciliation, SupplierRejected, SupplierUnavailable
from roamwise.suppliers.models import Allocation, WebhookReceipt
from roamwise.suppliers.standins.airalo import AiraloStandin

from .conftest import closed_port_url

pytestmark = pytest.mark.commitment("SIM-01")
WEBHOOK = "/suppliers/webhooks/airalo/"


def _async_airalo() -> Airalo:
    supplier = Airalo.from_settings()
    supplier.webhook_url = closed_port_url("/unused")  # delivered by the test instead
    return supplier


def _wait_for_outbox(standin: AiraloStandin, count: int = 1) -> tuple[bytes, dict[str, str]]:
    deadline = time.monotonic() + 5
    while len(standin.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return standin.outbox[count - 1]


def test_the_token_is_fetched_once_and_reused(airalo: AiraloStandin) -> None:
    supplier = Airalo.from_settings()

    supplier.packages()
    supplier.packages()

    assert airalo.token_requests == 1


def test_a_revoked_token_is_replaced_once(airalo: AiraloStandin) -> None:
    supplier = Airalo.from_settings()
    supplier.packages()
    airalo.tokens.clear()

    supplier.packages()

    assert airalo.token_requests == 2


def test_wrong_client_credentials_are_refused(airalo: AiraloStandin, settings: Any) -> None:
    settings.AIRALO_CLIENT_SECRET = "wrong"

    with pytest.raises(SupplierRejected) as refused:
        Airalo.from_settings().packages()

    assert refused.value.detail == "401" and not refused.value.retryable
    assert cache.get(Airalo.from_settings()._token_key) is None


def test_the_catalogue_takes_net_price_as_cost_and_megabytes(airalo: AiraloStandin) -> None:
    packages = {p.package_id: p for p in Airalo.from_settings().packages()}

    first = packages["es-0-1gb-7days"]
    assert (first.wholesale.amount, first.wholesale.currency) == (Decimal("3.5"), "USD")
    assert (first.data_mb, first.validity_days, first.coverage) == (1024, 7, Coverage.LOCAL)
    assert first.countries == ("ES",) and first.networks == ("NetES",)
    regional = packages["europe-4-5gb-15days"]
    assert regional.coverage == Coverage.REGIONAL and regional.countries == ("DE", "ES", "FR")
    assert regional.region == "Europe"
    unlimited = packages["jp-6-7gb-7days"]
    assert unlimited.unlimited and unlimited.data_mb == 0 and "512 kbps" in unlimited.fair_use
    assert len(packages) == 20


def test_a_synchronous_order_returns_the_profile(airalo: AiraloStandin) -> None:
    allocation = services.allocation_place(
        supplier_code="airalo", package_id="es-0-1gb-7days", transaction_id="a-1"
    )

    sim = airalo.orders[allocation.reference]["sims"][0]
    assert allocation.status == Allocation.Status.READY
    assert (allocation.iccid, allocation.matching_id) == (sim["iccid"], sim["matching_id"])
    assert allocation.smdp_address == "lpa.standin.example"
    assert (allocation.cost_amount, allocation.cost_currency) == (Decimal("3.5"), "USD")
    assert airalo.orders[allocation.reference]["description"] == "a-1"


def test_a_refused_order_is_typed(airalo: AiraloStandin) -> None:
    with pytest.raises(SupplierRejected):
        Airalo.from_settings().order(package_id="nope", transaction_id="a-x")

    assert airalo.orders == {}


def test_an_asynchronous_order_arrives_by_signed_webhook(
    airalo: AiraloStandin, client: Client
) -> None:
    answer = _async_airalo().order(package_id="fr-1-2gb-15days", transaction_id="a-2")
    allocation = Allocation.objects.create(
        supplier="airalo",
        transaction_id="a-2",
        package_id="fr-1-2gb-15days",
        reference=answer.reference,
    )
    body, headers = _wait_for_outbox(airalo)

    response = client.post(WEBHOOK, body, content_type="application/json", headers=headers)

    assert answer.status == OrderStatus.PENDING
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    allocation.refresh_from_db()
    sim = json.loads(body)["data"]["sims"][0]
    assert allocation.status == Allocation.Status.READY and allocation.iccid == sim["iccid"]


def test_a_badly_signed_webhook_is_refused_and_changes_nothing(
    airalo: AiraloStandin, client: Client
) -> None:
    answer = _async_airalo().order(package_id="fr-1-2gb-15days", transaction_id="a-3")
    allocation = Allocation.objects.create(
        supplier="airalo",
        transaction_id="a-3",
        package_id="fr-1-2gb-15days",
        reference=answer.reference,
    )
    body, headers = _wait_for_outbox(airalo)

    forged = client.post(
        WEBHOOK, body, content_type="application/json", headers={"airalo-signature": "0" * 128}
    )
    unsigned = client.post(WEBHOOK, body, content_type="application/json")
    tampered = client.post(
        WEBHOOK,
        body.replace(b"lpa.standin", b"lpa.evil"),
        content_type="application/json",
        headers=headers,
    )
    malformed_body = b"[1, 2]"
    malformed = client.post(
        WEBHOOK,
        malformed_body,
        content_type="application/json",
        headers={"airalo-signature": airalo.sign(malformed_body)},
    )

    assert [r.status_code for r in (forged, unsigned, tampered, malformed)] == [400] * 4
    allocation.refresh_from_db()
    assert allocation.status == Allocation.Status.PENDING and allocation.iccid == ""
    assert WebhookReceipt.objects.count() == 0


def test_a_duplicate_webhook_is_answered_2xx_and_applied_once(
    airalo: AiraloStandin, client: Client
) -> None:
    answer = _async_airalo().order(package_id="fr-1-2gb-15days", transaction_id="a-4")
    Allocation.objects.create(
        supplier="airalo",
        transaction_id="a-4",
        package_id="fr-1-2gb-15days",
        reference=answer.reference,
    )
    body, headers = _wait_for_outbox(airalo)

    first = client.post(WEBHOOK, body, content_type="application/json", headers=headers)
    second = client.post(WEBHOOK, body, content_type="application/json", headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [first.json()["outcome"], second.json()["outcome"]] == ["applied", "duplicate"]
    assert WebhookReceipt.objects.filter(supplier="airalo").count() == 1


def test_the_webhook_url_answers_airalos_check(airalo: AiraloStandin, client: Client) -> None:
    assert client.head(WEBHOOK).status_code == 200


@pytest.mark.commitment("SIM-02")
def test_top_up_and_usage(airalo: AiraloStandin) -> None:
    supplier = Airalo.from_settings()
    order = supplier.order(package_id="es-0-1gb-7days", transaction_id="a-5")
    assert order.install is not None

    top_up = supplier.top_up(
        iccid=order.install.iccid, package_id="it-3-4gb-7days", transaction_id="a-6"
    )
    usage = supplier.usage(iccid=order.install.iccid)

    assert top_up.cost is not None and top_up.cost.amount == Decimal("3.8")
    assert (usage.total_mb, usage.remaining_mb, usage.unlimited) == (
        1024 + 4096,
        1024 + 4096,
        False,
    )


def test_a_429_is_waited_out(airalo: AiraloStandin) -> None:
    supplier = Airalo.from_settings()
    supplier.packages()  # token + 2 pages of types
    airalo.rate_limit, airalo.retry_after = len(airalo._window), 1
    airalo._window = [time.monotonic() - 59.5] * airalo.rate_limit  # the minute ends in 0.5 s

    started = time.monotonic()
    packages = supplier.packages()

    assert time.monotonic() - started >= 1 and len(packages) == 20


def test_a_long_429_is_unavailable(airalo: AiraloStandin, settings: Any) -> None:
    airalo.rate_limit, airalo.retry_after = 0, 60

    with pytest.raises(SupplierUnavailable) as limited:
        Airalo.from_settings().packages()

    assert limited.value.retryable and limited.value.retry_after == 60


@pytest.mark.parametrize(
    "body",
    [
        b'{"request_id": "r1", "data": []}',
        b'{"request_id": "r2", "data": {"sims": []}}',
        b'{"request_id": "r3", "data": {"sims": [{}]}}',
        b'{"data": {"sims": []}}',
        b'{"level": "75%"}',
        b'"a string"',
    ],
)
def test_a_signed_but_malformed_webhook_is_a_400(
    airalo: AiraloStandin, client: Client, body: bytes
) -> None:
    response = client.post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers={"airalo-signature": airalo.sign(body)},
    )

    assert response.status_code == 400 and response.json()["code"] == "invalid_webhook"
    assert WebhookReceipt.objects.count() == 0


def test_an_order_whose_answer_was_lost_is_not_sent_again(
    airalo: AiraloStandin, settings: Any
) -> None:
    api = settings.AIRALO_API_BASE
    settings.AIRALO_API_BASE = closed_port_url("/v2")
    with pytest.raises(SupplierUnavailable):
        services.allocation_place(
            supplier_code="airalo", package_id="es-0-1gb-7days", transaction_id="a-lost"
        )
    settings.AIRALO_API_BASE = api

    with pytest.raises(NeedsReconciliation):
        services.allocation_place(
            supplier_code="airalo", package_id="es-0-1gb-7days", transaction_id="a-lost"
        )

    assert airalo.orders == {}
    assert Allocation.objects.get(transaction_id="a-lost").status == Allocation.Status.PENDING

"""Changes asked of the network partner (suspend, resume, terminate, bundles)
when requests race and answers get lost: every call carries an idempotency
key written before it leaves, one change per eSIM at a time, and a lost
answer is settled (the line's state asked, or the call repeated with its key)
before the customer is told anything. Shop and network end agreeing, and the
customer is told the truth (SIM-02, ADR 0006)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.core import http
from roamwise.core.faults import fault_set
from roamwise.esims.models import Bundle, Esim, EsimEvent, EsimState, PartnerCall
from roamwise.esims.services import lifecycle
from roamwise.esims.tasks import partner_calls_sweep
from roamwise.network.models import NetworkBundle, NetworkRequest, NetworkSubscription
from roamwise.smdp.services import device_download
from roamwise.testing.lines import EID
from roamwise.testing.shopping import buy

from .smdp_proxy import SmdpProxy


@pytest.fixture(autouse=True)
def _faults_off(settings: Any) -> Iterator[None]:
    settings.SIMULATOR_FAULTS = True
    yield
    fault_set("network", mode="none", seconds=0)
    # Kept-alive connections hold a live-server thread and its database session.
    http._session.close()


def installed(buyer: Client, plan: Plan, jobs: Callable[[], object]) -> Esim:
    """Given an eSIM bought, downloaded and installed on the customer's phone."""
    esim = Esim.objects.get(order=buy(buyer, plan, jobs))
    device_download(matching_id=esim.matching_id, eid=EID, outcome="installed")
    jobs()
    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED
    return esim


def network_state(esim: Esim) -> str:
    return NetworkSubscription.objects.get(iccid=esim.iccid).state


def suspensions(esim: Esim) -> int:
    return EsimEvent.objects.filter(esim=esim, to_status=EsimState.SUSPENDED).count()


def in_threads(*work: Callable[[], Any]) -> list[Any]:
    """Run each piece of work in its own thread, all released at once."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 -- the test reads what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.commitment("SIM-02")
def test_concurrent_suspends_of_one_esim_are_one_change_and_both_succeed(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: Callable[[], object]
) -> None:
    esim = installed(buyer, plan, jobs)
    copies = [Esim.objects.get(pk=esim.pk) for _ in range(4)]

    results = in_threads(
        *[lambda c=copy: lifecycle.esim_suspend(esim=c, actor="customer") for copy in copies]
    )

    assert [r.state if isinstance(r, Esim) else r for r in results] == [EsimState.SUSPENDED] * 4
    assert suspensions(esim) == 1
    assert network_state(esim) == "suspended"
    (call,) = PartnerCall.objects.filter(esim=esim, action="suspend")
    assert (call.action, call.outcome) == ("suspend", "succeeded")
    assert NetworkRequest.objects.filter(key=call.idempotency_key).exists()


@pytest.mark.commitment("SIM-02")
def test_two_suspends_whose_answers_are_lost_end_with_shop_and_network_agreeing(
    smdp: SmdpProxy,
    buyer: Client,
    plan: Plan,
    jobs: Callable[[], object],
    alice: User,
    settings: Any,
) -> None:
    first, second = installed(buyer, plan, jobs), installed(buyer, plan, jobs)
    # The network acts, then answers after the shop has given up waiting.
    settings.HTTP_TIMEOUT_SECONDS = 1
    fault_set("network", mode="slow", seconds=120, delay=2)
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.force_login(alice)

    responses = in_threads(
        *[
            lambda b=browser, e=esim: b.post(f"/esims/{e.public_id}/suspend/")
            for browser, esim in zip(browsers, (first, second), strict=True)
        ]
    )

    told = [[str(m) for m in get_messages(r.wsgi_request)] for r in responses]
    assert told == [["Your eSIM is paused. Resume it whenever you like."]] * 2
    for esim in (first, second):
        esim.refresh_from_db()
        assert (esim.state, network_state(esim)) == (EsimState.SUSPENDED, "suspended")
        assert suspensions(esim) == 1
        (call,) = PartnerCall.objects.filter(esim=esim, action="suspend")
        assert call.outcome == "succeeded" and call.message.startswith("reconciled")


@pytest.mark.commitment("SIM-02")
def test_an_unanswered_suspend_is_pending_then_settled_with_the_same_key(
    smdp: SmdpProxy,
    buyer: Client,
    plan: Plan,
    jobs: Callable[[], object],
    settings: Any,
    shop: str,
) -> None:
    esim = installed(buyer, plan, jobs)
    settings.NETWORK_PARTNER_URL = "http://127.0.0.1:9"  # nobody answers there

    page = buyer.post(f"/esims/{esim.public_id}/suspend/", follow=True)
    again = buyer.post(f"/api/v1/esims/{esim.public_id}/suspend")

    assert "has not confirmed the pause yet" in page.content.decode()
    # A second request does not go past the first one's unknown outcome.
    assert again.status_code == 409
    assert again.json()["code"] == "network_change_pending"
    esim.refresh_from_db()
    assert esim.state == EsimState.INSTALLED
    (call,) = PartnerCall.objects.filter(esim=esim, action="suspend")
    assert call.outcome == "unknown"

    settings.NETWORK_PARTNER_URL = f"{shop}/network"  # the network answers again
    assert partner_calls_sweep.call_local() == 1

    esim.refresh_from_db()
    call.refresh_from_db()
    assert (esim.state, network_state(esim)) == (EsimState.SUSPENDED, "suspended")
    assert call.outcome == "succeeded"
    assert NetworkRequest.objects.filter(key=call.idempotency_key).count() == 1
    assert esim.events.last().actor == "customer"
    assert partner_calls_sweep.call_local() == 0  # nothing left to settle


def test_the_api_answers_202_while_the_network_has_not_confirmed(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: Callable[[], object], settings: Any
) -> None:
    esim = installed(buyer, plan, jobs)
    settings.NETWORK_PARTNER_URL = "http://127.0.0.1:9"

    response = buyer.post(f"/api/v1/esims/{esim.public_id}/suspend")

    assert response.status_code == 202
    assert response.json()["code"] == "network_change_pending"
    assert "has not confirmed the pause yet" in response.json()["message"]


@pytest.mark.commitment("SIM-02")
def test_a_deletion_whose_answer_is_garbled_is_confirmed_by_asking_the_line(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: Callable[[], object]
) -> None:
    esim = installed(buyer, plan, jobs)
    fault_set("network", mode="garbage", seconds=120)

    lifecycle.esim_delete(esim=esim, actor="customer")

    esim.refresh_from_db()
    assert (esim.state, network_state(esim)) == (EsimState.DELETED, "terminated")
    assert set(esim.bundles.values_list("state", flat=True)) == {Bundle.State.CANCELLED}


@pytest.mark.commitment("SIM-02")
def test_a_bundle_whose_answer_is_garbled_is_added_once_and_active(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: Callable[[], object]
) -> None:
    fault_set("network", mode="garbage", seconds=120)

    esim = Esim.objects.get(order=buy(buyer, plan, jobs))

    bundle = esim.bundles.get()
    assert (bundle.state, bundle.network_attempts) == (Bundle.State.ACTIVE, 1)
    assert NetworkBundle.objects.filter(reference=str(bundle.public_id)).count() == 1
    (call,) = PartnerCall.objects.filter(bundle=bundle)
    assert (call.action, call.outcome) == ("bundle_add", "succeeded")

"""Provisioning a paid order over ES2+ (SIM-01), against the SM-DP+ simulator on
loopback, with the faults a real network produces in between."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jsonschema
import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from roamwise.catalog.models import Plan
from roamwise.esims.es2plus import get_client, new_call_id
from roamwise.esims.models import Es2Attempt, Esim, EsimState, ProfileStock, ProvisionStep
from roamwise.esims.services import provisioning
from roamwise.governance.models import Disclosure
from roamwise.network.models import NetworkBundle
from roamwise.orders.models import Fulfilment, OrderStatus
from roamwise.payments.models import Payment
from roamwise.smdp.models import ProfileState, SmdpProfile
from roamwise.testing.shopping import buy

from .conftest import fulfilment_held
from .smdp_proxy import SmdpProxy

# Beside the project: next to its checkout, or one level up from a worktree.
SHARED = next(
    (
        found
        for parent in Path(__file__).resolve().parents[3:6]
        if (found := parent / "shared" / "conformance" / "es2plus-schemas").is_dir()
    ),
    Path(__file__).resolve().parents[4] / "shared" / "conformance" / "es2plus-schemas",
)
VENDORED = Path(__file__).resolve().parents[1] / "schemas"
REQUEST_SCHEMA = {
    "downloadOrder": "ES2+DownloadOrder-def.json",
    "confirmOrder": "ES2+ConfirmOrder-def.json",
    "cancelOrder": "ES2+CancelOrder-def.json",
    "releaseProfile": "ES2+ReleaseProfile-def.json",
    "getProfileStatus": "JSONrequestHeader-def.json",
}
RESPONSE_SCHEMA = {
    "downloadOrder": "ES2+DownloadOrder-response.json",
    "confirmOrder": "ES2+ConfirmOrder-response.json",
}


def shared_schema(name: str) -> dict:
    assert (SHARED / name).exists(), f"the shared ES2+ schemas must be beside the project: {SHARED}"
    return json.loads((SHARED / name).read_text())


def assert_conformant(proxy: SmdpProxy) -> None:
    """Every request we sent and every answer the SM-DP+ gave, against the shared schemas."""
    assert proxy.exchanges
    for exchange in proxy.exchanges:
        function = exchange["function"]
        request = exchange["request"]
        if function == "getProfileStatus":  # the agreed extension: its header is ES2+'s
            jsonschema.validate(request["header"], shared_schema("JSONrequestHeader-def.json"))
        else:
            jsonschema.validate(request, shared_schema(REQUEST_SCHEMA[function]))
        assert exchange["request_headers"]["X-Admin-Protocol"].startswith("gsma/rsp/v2.")
        answer = exchange["response"]
        succeeded = answer["header"]["functionExecutionStatus"]["status"] == "Executed-Success"
        name = RESPONSE_SCHEMA.get(function) if succeeded else None
        jsonschema.validate(answer, shared_schema(name or "ES2+HeaderOnly-response.json"))
    calls = [e["request"]["header"]["functionCallIdentifier"] for e in proxy.exchanges]
    assert len(calls) == len(set(calls)), "functionCallIdentifier must be unique per call"


def reserved_profiles() -> list[SmdpProfile]:
    return list(SmdpProfile.objects.exclude(state=ProfileState.AVAILABLE))


def test_the_shipped_schemas_are_the_shared_ones() -> None:
    shipped = sorted(p.name for p in VENDORED.glob("*.json"))
    assert shipped == sorted(p.name for p in SHARED.glob("*.json"))
    for name in shipped:
        assert (VENDORED / name).read_bytes() == (SHARED / name).read_bytes(), name


@pytest.mark.commitment("SIM-01")
@pytest.mark.commitment("SHR-03")
def test_a_paid_order_gets_its_esim_over_es2plus(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object
) -> None:
    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY
    assert [e["function"] for e in smdp.exchanges] == ["downloadOrder", "confirmOrder"]
    assert smdp.exchanges[0]["request"]["profileType"] == plan.profile_type
    assert smdp.exchanges[1]["request"]["releaseFlag"] is True
    assert_conformant(smdp)
    (profile,) = reserved_profiles()
    assert profile.state == ProfileState.RELEASED
    assert (profile.iccid, profile.matching_id) == (esim.iccid, esim.matching_id)
    assert esim.activation_code == f"1$smdp.roamwise.example${esim.matching_id}"
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert Fulfilment.objects.get(order=order).status == Fulfilment.Status.DONE
    assert list(esim.attempts.values_list("function", "outcome")) == [
        ("downloadOrder", "succeeded"),
        ("confirmOrder", "succeeded"),
    ]
    # The plan's data went to the network as the eSIM's first bundle.
    bundle = esim.bundles.get()
    assert bundle.state == "active"
    assert NetworkBundle.objects.get(reference=str(bundle.public_id)).data_mb == plan.data_mb
    # The order email with everything needed to install.
    (ready,) = [m for m in mail.outbox if "ready to install" in m.subject]
    assert f"LPA:{esim.activation_code}" in ready.body
    assert "esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24" in ready.body
    assert ready.attachments[0][0] == "esim-qr.png"
    assert ready.attachments[0][1][:8] == b"\x89PNG\r\n\x1a\n"
    # Who received what (SHR-03): the SM-DP+ and the network, at category level.
    recipients = set(
        Disclosure.objects.filter(subject_id=order.customer.public_id).values_list(
            "recipient", flat=True
        )
    )
    assert {"smdp", "network", "payment"} <= recipients


@pytest.mark.commitment("SIM-01")
def test_no_profile_left_fails_the_order_refunds_it_and_tells_the_customer(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object
) -> None:
    SmdpProfile.objects.all().delete()
    ProfileStock.objects.all().delete()  # the operator's batch is used up too
    from roamwise.smdp.services import inventory_add

    inventory_add(profile_type=plan.profile_type, count=1, operator="roamwise")
    SmdpProfile.objects.update(state=ProfileState.UNAVAILABLE)

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.FAILED
    assert "No profile of this type" in esim.failure_reason
    assert smdp.calls("downloadOrder")[0]["response"]["header"]["functionExecutionStatus"][
        "statusCodeData"
    ] == {
        "subjectCode": "8.2.5",
        "reasonCode": "3.7",
        "message": "No profile of this type is available",
        "subjectIdentifier": plan.profile_type,
    }
    assert len(smdp.calls("downloadOrder")) == 1  # a permanent failure is not retried
    assert_conformant(smdp)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunds.get().status == "succeeded"
    assert any("full refund" in m.subject for m in mail.outbox)
    assert not any("ready to install" in m.subject for m in mail.outbox)


@pytest.mark.parametrize("fault", ["down", "500", "garbage"])
def test_an_smdp_that_fails_before_acting_is_retried_with_one_profile(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, fault: str
) -> None:
    smdp.inject("downloadOrder", fault, fault)
    smdp.inject("confirmOrder", fault)

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY, esim.failure_reason
    (profile,) = reserved_profiles()
    assert profile.iccid == esim.iccid
    outcomes = list(esim.attempts.values_list("function", "outcome"))
    assert outcomes.count(("downloadOrder", "succeeded")) == 1
    assert ("confirmOrder", "succeeded") in outcomes


@pytest.mark.commitment("SIM-01")
@pytest.mark.parametrize("fault", ["reset", "slow"])
@pytest.mark.parametrize("function", ["downloadOrder", "confirmOrder"])
def test_an_answer_lost_after_the_smdp_acted_is_settled_with_sgp22_functions_only(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, fault: str, function: str
) -> None:
    """A standard SM-DP+ has no getProfileStatus: the same call, for the same
    profile of our batch, is sent again, and its answer settles the lost one."""
    smdp.inject(function, fault)

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY, esim.failure_reason
    (profile,) = reserved_profiles()  # never two profiles for one order
    assert (profile.iccid, profile.matching_id) == (esim.iccid, esim.matching_id)
    assert profile.state == ProfileState.RELEASED
    first, again = smdp.calls(function)
    assert first["request"] | {"header": None} == again["request"] | {"header": None}
    # The SM-DP+ had acted on the lost call: the repeat says so in SGP.22's codes.
    status = again["response"]["header"]["functionExecutionStatus"]
    assert status["status"] == "Failed"
    assert status["statusCodeData"]["subjectCode"] in ("8.2.1", "8.2.6")
    assert smdp.calls("getProfileStatus") == []
    lost = esim.attempts.filter(function=function).earliest("started_at")
    assert lost.outcome == Es2Attempt.Outcome.SUCCEEDED
    assert lost.message.startswith("reconciled:")
    assert_conformant(smdp)


@pytest.mark.parametrize("fault", ["reset", "slow"])
@pytest.mark.parametrize("function", ["downloadOrder", "confirmOrder"])
def test_an_answer_lost_is_reconciled_by_profile_status_where_the_smdp_offers_it(
    smdp: SmdpProxy,
    buyer: Client,
    plan: Plan,
    jobs: object,
    fault: str,
    function: str,
    settings: object,
) -> None:
    settings.ES2PLUS_PROFILE_STATUS = True  # type: ignore[attr-defined]
    ProfileStock.objects.all().delete()  # profiles ordered by type, as before a batch list
    smdp.inject(function, fault)

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.READY, esim.failure_reason
    (profile,) = reserved_profiles()
    assert (profile.iccid, profile.matching_id) == (esim.iccid, esim.matching_id)
    # The SM-DP+ acted once; the lost call was settled by asking it, not by repeating it.
    assert len(smdp.calls(function)) == 1
    assert len(smdp.calls("getProfileStatus")) == 1
    lost = esim.attempts.get(function=function)
    assert lost.outcome == Es2Attempt.Outcome.SUCCEEDED
    assert lost.message.startswith("reconciled:")
    assert_conformant(smdp)


def test_provisioning_gives_up_after_the_limit_and_refunds(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, settings: object
) -> None:
    settings.ESIM_PROVISION_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    smdp.inject("downloadOrder", "500", "500", "500", "500")

    order = buy(buyer, plan, jobs)

    esim = Esim.objects.get(order=order)
    assert esim.state == EsimState.FAILED
    assert esim.failure_reason == "gave up after 3 tries"
    assert esim.attempts.filter(function="downloadOrder").count() == 3
    assert reserved_profiles() == []
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Payment.objects.get(order=order).status == "succeeded"


def test_a_worker_that_died_mid_call_is_reconciled_by_the_next(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, settings: object
) -> None:
    """The worker wrote its attempt, the SM-DP+ reserved a profile, and the
    worker died before recording the answer. The next run adopts that profile."""
    with fulfilment_held():
        order = buy(buyer, plan, jobs)
    esim = provisioning.esim_for_order(order=order)
    assert provisioning._stock_take(esim)  # the ICCID of our batch it asks for
    call_id = new_call_id()
    Es2Attempt.objects.create(esim=esim, function="downloadOrder", call_id=call_id)
    iccid = get_client().download_order(
        profile_type=plan.profile_type, iccid=esim.iccid, call_id=call_id
    )

    assert provisioning.esim_provision(order_id=order.pk) == EsimState.READY

    esim.refresh_from_db()
    assert esim.iccid == iccid
    assert [p.iccid for p in reserved_profiles()] == [iccid]


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_for_one_order_order_one_profile(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object
) -> None:
    with fulfilment_held():
        order = buy(buyer, plan, jobs)
    start = threading.Barrier(6)
    results: list[str] = []

    def run() -> None:
        try:
            start.wait()
            results.append(provisioning.esim_provision(order_id=order.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(EsimState.READY) == 1, results
    assert len(reserved_profiles()) == 1
    assert len(smdp.calls("downloadOrder")) == 1
    assert Esim.objects.get(order=order).provision_step == ProvisionStep.DONE


def test_staff_retry_a_waiting_provisioning_at_once(
    smdp: SmdpProxy, buyer: Client, plan: Plan, jobs: object, staff: object
) -> None:
    from huey.contrib.djhuey import HUEY

    smdp.inject("downloadOrder", "500")
    order = buy_with_retries_held(buyer, plan, jobs)
    esim = Esim.objects.get(order=order)
    assert (esim.state, esim.provision_failures) == (EsimState.PREPARING, 1)
    HUEY.flush()  # the scheduled retry is an hour away as far as staff know

    provisioning.esim_retry_now(esim=esim, actor=f"staff:{staff.pk}")  # type: ignore[attr-defined]
    jobs()  # type: ignore[operator]

    esim.refresh_from_db()
    assert esim.state == EsimState.READY
    assert esim.events.filter(actor=f"staff:{staff.pk}").exists()  # type: ignore[attr-defined]


def buy_with_retries_held(buyer: Client, plan: Plan, jobs: object) -> object:
    """Buy, letting the first provisioning run but not its scheduled retries."""
    from roamwise.esims import tasks

    saved = tasks.provision_esim.schedule
    tasks.provision_esim.schedule = lambda *args, **kwargs: None  # type: ignore[method-assign]
    try:
        return buy(buyer, plan, jobs)
    finally:
        tasks.provision_esim.schedule = saved  # type: ignore[method-assign]

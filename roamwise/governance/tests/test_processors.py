"""The registry of processors and partners (SHR-02) and transfer safeguards (RET-09)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core import checks

from roamwise.datamap.checks import check_sends
from roamwise.datamap.registry import Registry, data_map
from roamwise.datamap.vocabulary import CATEGORIES, RECIPIENTS
from roamwise.governance.checks import check_pinned_models, check_processors, governance_check
from roamwise.kernel.processors import (
    EEA_LOCATIONS,
    Processor,
    Safeguard,
    processor_registry,
)


def ids(errors: list[checks.CheckMessage]) -> list[str]:
    return [str(e.id) for e in errors]


@pytest.mark.commitment("SHR-02")
@pytest.mark.commitment("RET-09")
def test_the_registry_covers_every_recipient_and_every_transfer_has_a_safeguard() -> None:
    registry = processor_registry()

    assert set(registry) == set(RECIPIENTS)
    assert governance_check() == []
    for processor in registry.values():
        assert processor.name and processor.role and processor.purpose
        if any(loc not in EEA_LOCATIONS for loc in processor.locations):
            assert processor.safeguard in set(Safeguard)


@pytest.mark.commitment("SHR-02")
def test_what_each_receives_is_what_its_adapters_send_and_the_data_map_lists() -> None:
    for code, processor in processor_registry().items():
        declared = {
            CATEGORIES[c] for d in data_map if code in d.recipients for c in d.categories_for(code)
        }
        if data_map.sends_to(code):
            sent = {CATEGORIES[c] for s in data_map.sends_to(code) for c in s.categories}
            assert sent == declared, code  # every adapter of it, whichever is in use
        assert set(processor.categories_received) <= declared, code
    payment = processor_registry()["payment"]
    assert "Orders and purchases" in payment.categories_received
    assert "Support messages and attachments" not in payment.categories_received


@pytest.mark.commitment("SHR-02")
def test_the_payment_processor_in_use_decides_what_the_registry_says_it_receives(
    settings: object,
) -> None:
    email = CATEGORIES["user.contact.email"]
    assert email not in processor_registry()["payment"].categories_received

    settings.PAYMENT_GATEWAY = "stripe"  # type: ignore[attr-defined]

    assert email in processor_registry()["payment"].categories_received
    # Neither is told the billing name, address or phone.
    assert (
        CATEGORIES["user.contact.address"]
        not in processor_registry()["payment"].categories_received
    )


@pytest.mark.commitment("SHR-02")
def test_an_adapter_sending_what_the_data_map_does_not_list_fails_the_check() -> None:
    registry = Registry(declarations=dict(data_map.declarations), sends=dict(data_map.sends))
    adapter = "roamwise.esims.partner"
    registry.sends[adapter] = replace(
        registry.sends[adapter], categories=(*registry.sends[adapter].categories, "user.name")
    )

    errors = check_sends(registry)

    assert ids(errors) == ["datamap.E018"]
    assert "'user.name'" in errors[0].msg and "'network'" in errors[0].msg


@pytest.mark.commitment("SHR-02")
def test_a_category_listed_for_a_recipient_that_no_adapter_sends_fails_the_check() -> None:
    registry = Registry(declarations=dict(data_map.declarations), sends=dict(data_map.sends))
    adapter = "roamwise.esims.es2plus"
    registry.sends[adapter] = replace(registry.sends[adapter], categories=("user.device.sim",))

    errors = check_sends(registry)

    assert ids(errors) == ["datamap.E018"]
    assert "'user.device.eid'" in errors[0].msg and "'smdp'" in errors[0].msg


@pytest.mark.commitment("RET-09")
def test_a_transfer_outside_the_eea_without_safeguard_fails_the_check() -> None:
    registry = processor_registry()
    registry["email"] = replace(registry["email"], locations=("eu", "us"), safeguard=None)

    errors = check_processors(registry, RECIPIENTS)

    assert ids(errors) == ["governance.E004"]
    assert "'email'" in errors[0].msg and "us" in errors[0].msg

    registry["email"] = replace(registry["email"], safeguard=Safeguard.SCC)
    assert check_processors(registry, RECIPIENTS) == []


@pytest.mark.commitment("SHR-02")
def test_a_recipient_missing_from_the_registry_or_unknown_to_the_data_map_fails() -> None:
    registry = processor_registry()
    del registry["smdp"]
    registry["adtech"] = Processor(
        code="adtech", name="Ad network", role="Controller", purpose="Ads", locations=("eu",)
    )

    assert sorted(ids(check_processors(registry, RECIPIENTS))) == [
        "governance.E001",
        "governance.E002",
    ]


def test_the_deployment_region_sets_hosting_location_and_safeguard(settings: object) -> None:
    settings.DATA_REGION = "us"  # type: ignore[attr-defined]
    hosting = processor_registry()["hosting"]
    assert hosting.locations == ("us",) and hosting.safeguard == Safeguard.SCC

    settings.DATA_REGION = "eu"  # type: ignore[attr-defined]
    hosting = processor_registry()["hosting"]
    assert hosting.locations == ("eu",) and hosting.safeguard is None

    settings.PAYMENT_GATEWAY = "stripe"  # type: ignore[attr-defined]
    payment = processor_registry()["payment"]
    assert payment.name == "Stripe" and payment.safeguard == Safeguard.SCC
    assert check_processors(processor_registry(), RECIPIENTS) == []


@pytest.mark.commitment("RET-08")
def test_only_models_without_relations_can_be_pinned() -> None:
    assert check_pinned_models(["governance.Disclosure"]) == []
    assert ids(check_pinned_models(["governance.PolicyAcceptance"])) == [
        "governance.E005",
        "governance.E006",
    ]

from __future__ import annotations

import pytest

from roamwise.datamap.registry import data_map
from roamwise.kernel.processors import processor_registry


@pytest.mark.commitment("SHR-02")
@pytest.mark.parametrize("code", ["airalo", "esimaccess"])
def test_each_wholesaler_is_registered_with_only_the_esim_it_supplies(code: str) -> None:
    processor = processor_registry()[code]

    received = processor.categories_received
    assert "eSIM profile identifiers (ICCID, activation code)" in received
    assert not {"Name", "Email address", "Postal and billing address"} & set(received)
    assert processor.outside_eea and processor.safeguard is not None


@pytest.mark.commitment("SHR-02")
@pytest.mark.parametrize("code", ["airalo", "esimaccess"])
def test_a_wholesaler_receives_exactly_the_esim_and_the_order_nothing_else(code: str) -> None:
    # The package under our transaction id and the ICCID of the eSIM it
    # supplied. The usage it measures comes from it: we send none back.
    assert set(processor_registry()[code].categories_received) == {
        "eSIM profile identifiers (ICCID, activation code)",
        "Orders and purchases",
    }
    esim = data_map.declarations["esims.esim"]
    assert code in esim.recipients
    # Of the eSIM, its ICCID only: never the device's EID, nor the customer.
    assert esim.categories_for(code) == ["user.device.sim"]
    assert "user.device.eid" in esim.categories_for("smdp")

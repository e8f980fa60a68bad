from __future__ import annotations

import pytest

from roamwise.kernel.processors import processor_registry


@pytest.mark.commitment("SHR-02")
@pytest.mark.parametrize("code", ["airalo", "esimaccess"])
def test_each_wholesaler_is_registered_with_only_the_esim_it_supplies(code: str) -> None:
    processor = processor_registry()[code]

    received = processor.categories_received
    assert "eSIM profile identifiers (ICCID, activation code)" in received
    assert not {"Name", "Email address", "Postal and billing address"} & set(received)
    assert processor.outside_eea and processor.safeguard is not None

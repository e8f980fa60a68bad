from __future__ import annotations

import pytest

from roamwise.suppliers import registry
from roamwise.suppliers.airalo import Airalo
from roamwise.suppliers.checks import supplier_registry_check
from roamwise.suppliers.esimaccess import EsimAccess


def test_every_declared_supplier_is_an_adapter_under_its_code() -> None:
    assert supplier_registry_check() == []
    assert registry.supplier_class("airalo") is Airalo
    assert registry.supplier_class("esimaccess") is EsimAccess


def test_a_wrong_registry_entry_fails_the_start_up_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "roamwise.suppliers.checks.SUPPLIERS",
        {
            "missing": "roamwise.suppliers.nowhere.Supplier",
            "notone": "roamwise.suppliers.base.Package",
            "telna": "roamwise.suppliers.airalo.Airalo",
        },
    )

    ids = sorted(error.id for error in supplier_registry_check())

    assert ids == ["suppliers.E001", "suppliers.E002", "suppliers.E003"]


def test_an_unknown_supplier_code_says_which_exist() -> None:
    with pytest.raises(LookupError, match="airalo, esimaccess, esimgo"):
        registry.supplier_class("telna")

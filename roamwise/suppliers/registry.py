"""Which adapters exist, by supplier code: declared here and nowhere else, and
checked at start-up (``checks.py``), so a typo fails ``manage.py check``."""

from __future__ import annotations

from django.utils.module_loading import import_string

from roamwise.suppliers.base import Supplier

SUPPLIERS: dict[str, str] = {
    "esimaccess": "roamwise.suppliers.esimaccess.EsimAccess",
    "airalo": "roamwise.suppliers.airalo.Airalo",
    "esimgo": "roamwise.suppliers.esimgo.EsimGo",
}


def supplier_class(code: str) -> type[Supplier]:
    try:
        path = SUPPLIERS[code]
    except KeyError:
        raise LookupError(
            f"unknown supplier {code!r}; known: {', '.join(sorted(SUPPLIERS))}"
        ) from None
    cls: type[Supplier] = import_string(path)
    return cls


def supplier_for(code: str) -> Supplier:
    """The adapter of ``code``, configured from settings."""
    return supplier_class(code).from_settings()


def configured_suppliers() -> list[str]:
    """The codes of suppliers whose credentials are set."""
    return [code for code in sorted(SUPPLIERS) if supplier_class(code).is_configured()]

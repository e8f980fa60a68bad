"""The invoice PDF is written in the active language: the customer's, for the
one attached to their receipt (orders.tasks.send_order_paid_emails)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import translation

from roamwise.orders.invoices import invoice_pdf
from roamwise.orders.models import Invoice
from roamwise.testing.helpers import pdf_text


def _invoice() -> Invoice:
    return Invoice(
        number="RW-2026-000001",
        issued_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        billing_name="Camille Martin",
        billing_address={"line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris"},
        billing_country="DE",
        description="France 5 GB · 7 days",
        currency="EUR",
        net_amount=Decimal("10.00"),
        tax_rate=Decimal("0.2000"),
        tax_amount=Decimal("2.00"),
        total=Decimal("12.00"),
    )


def test_the_invoice_is_in_the_active_language() -> None:
    with translation.override("fr"):
        french = pdf_text(invoice_pdf(_invoice()))
    with translation.override("en"):
        english = pdf_text(invoice_pdf(_invoice()))

    assert b"Facture Roamwise RW-2026-000001" in french
    assert b"Montant" in french
    assert b"Allemagne" in french  # the billing country, CLDR's name
    assert b"Roamwise invoice RW-2026-000001" in english
    assert b"Germany" in english
    assert b"Montant" not in english

"""Invoices name the seller (legal name, address, VAT number, from settings) and
write the buyer's address the way the buyer's country writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from roamwise.accounts.models import User
from roamwise.catalog.models import Plan
from roamwise.orders.invoices import address_lines, invoice_pdf
from roamwise.orders.models import Invoice
from roamwise.orders.services import (
    BillingDetails,
    order_await_payment,
    order_create,
    order_mark_paid,
)
from roamwise.testing.helpers import pdf_text


def test_the_address_follows_the_buyers_country() -> None:
    address = {"line1": "1 Main Street", "line2": "", "city": "Springfield", "postcode": "12345"}
    with translation.override("en"):
        german = address_lines("Ada", address, "DE")
        american = address_lines("Ada", address, "US")
        japanese = address_lines("Ada", address, "JP")
    assert german == ["Ada", "1 Main Street", "12345 SPRINGFIELD", "Germany"]
    assert american[2].startswith("SPRINGFIELD") and american[2].endswith("12345")
    assert american[-1] == "United States"
    # Japan writes no town line: the town stays with the street, not lost.
    assert "Springfield" in " ".join(japanese) and japanese[-1] == "Japan"
    with translation.override("fr"):
        assert address_lines("Ada", address, "DE")[-1] == "Allemagne"


@pytest.mark.django_db
def test_the_invoice_page_and_pdf_name_the_seller_and_its_vat_number(
    buyer: Client, plan: Plan, alice: User, settings: object
) -> None:
    settings.SELLER_LEGAL_NAME = "Voyage Data GmbH"  # type: ignore[attr-defined]
    settings.SELLER_ADDRESS = "Beispielstrasse 1, 10115 Berlin"  # type: ignore[attr-defined]
    settings.SELLER_VAT_NUMBER = "DE999999999"  # type: ignore[attr-defined]
    billing = BillingDetails(
        name="Ada Lovelace",
        line1="Unter den Linden 5",
        line2="",
        city="Berlin",
        postcode="10117",
        country="DE",
        phone="+49 30 1234567",
    )
    order = order_await_payment(order=order_create(customer=alice, plan=plan, billing=billing))
    order_mark_paid(order_id=order.pk, actor="test")

    page = buyer.get(f"/orders/{order.public_id}/invoice/").content.decode()
    assert "Voyage Data GmbH" in page and "Beispielstrasse 1, 10115 Berlin" in page
    assert "DE999999999" in page
    assert "10117 BERLIN" in page

    invoice = Invoice.objects.get(order=order)
    with translation.override("en"):
        text = pdf_text(invoice_pdf(invoice))
    assert b"Voyage Data GmbH" in text and b"DE999999999" in text and b"10117 BERLIN" in text


def test_an_invoice_of_a_country_without_address_data_still_lists_the_address() -> None:
    invoice = Invoice(
        number="RW-2026-000002",
        issued_at=datetime(2026, 12, 7, tzinfo=UTC),
        billing_name="Ada",
        billing_address={"line1": "Station 1", "city": "Base", "postcode": ""},
        billing_country="AQ",
        description="Antarctica",
        currency="EUR",
        net_amount=Decimal("10.00"),
        tax_rate=Decimal("0"),
        tax_amount=Decimal("0"),
        total=Decimal("10.00"),
    )
    with translation.override("en"):
        text = pdf_text(invoice_pdf(invoice))
    assert b"Station 1" in text and b"Antarctica" in text

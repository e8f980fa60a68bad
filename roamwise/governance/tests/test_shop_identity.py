"""The seller's identity and branding: edited in the back office, audited, and
read through one accessor by pages, invoices and emails."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from roamwise.accounts.models import User
from roamwise.audit.models import AccessEvent
from roamwise.catalog.models import Plan
from roamwise.core.identity import forget_shop_identity, shop_identity
from roamwise.core.models import ShopIdentity
from roamwise.notifications.rendering import render_message
from roamwise.orders.invoices import invoice_pdf
from roamwise.orders.models import Invoice
from roamwise.orders.services import order_await_payment, order_create, order_mark_paid
from roamwise.testing.people import signed_in, staff_client
from roamwise.testing.shopping import BILLING

URL = "/admin/core/shopidentity/1/change/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

FORM = {
    "shop_name": "Globetrot",
    "legal_name": "Globetrot GmbH",
    "address": "Hauptstrasse 1, 10115 Berlin, Germany",
    "registration": "Amtsgericht Berlin HRB 12345",
    "vat_number": "de 123456789",
    "support_phone": "+49 30 1234567",
    "support_hours": "Mo-Fr 9-17",
    "primary_colour": "#aa3300",
    "banner": "Summer sale: 10% off Europe",
    "change_reason": "New company",
}


def test_settings_are_the_defaults(db: None, settings: object) -> None:
    identity = shop_identity()

    assert identity.legal_name == settings.SELLER_LEGAL_NAME  # type: ignore[attr-defined]
    assert identity.vat_number == settings.SELLER_VAT_NUMBER  # type: ignore[attr-defined]
    assert identity.support_phone == settings.SUPPORT_PHONE  # type: ignore[attr-defined]
    assert (identity.logo_url, identity.banner, identity.primary_colour) == ("", "", "")


def test_staff_edit_the_identity_and_every_page_shows_it(db: None) -> None:
    client, member = staff_client(None, "root")
    assert client.get("/admin/core/shopidentity/")["Location"] == URL

    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = client.post(URL, {**FORM, "logo_upload": logo})

    assert response.status_code == 302, response.context["adminform"].form.errors
    row = ShopIdentity.objects.get()
    assert (row.vat_number, row.logo_type, bytes(row.logo)) == ("DE 123456789", "image/png", PNG)
    event = AccessEvent.objects.get(object_type="core.ShopIdentity")
    assert event.actor_id == member.pk and event.action == "change"
    assert {"legal_name", "vat_number", "logo", "primary_colour"} <= set(event.fields)
    assert event.reason == "New company"

    company = Client().get("/company/").content.decode()
    assert "Globetrot GmbH" in company and "DE 123456789" in company
    home = Client().get("/").content.decode()
    assert "Summer sale: 10% off Europe" in home
    assert 'src="/shop/logo?v=' in home and "+49 30 1234567" in home
    assert Client().get("/shop/logo").content == PNG
    assert "--brand: #aa3300" in Client().get("/shop/theme.css").content.decode()
    assert (
        "Globetrot"
        in render_message("notifications/email/staff_alert", {"title": "t", "message": "m"}).html
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("primary_colour", "red"), ("vat_number", "123"), ("support_phone", "call us")],
)
def test_bad_values_are_refused_and_nothing_is_saved(db: None, field: str, value: str) -> None:
    client, _ = staff_client(None, "root")

    response = client.post(URL, {**FORM, field: value})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ShopIdentity.objects.exclude(legal_name="").exists()
    assert not AccessEvent.objects.filter(object_type="core.ShopIdentity").exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"GIF89a" + b"\x00" * 10, "logo.png"), (PNG + b"\x00" * 300 * 1024, "big.png")],
)
def test_a_logo_of_the_wrong_type_or_too_big_is_refused(
    db: None, content: bytes, name: str
) -> None:
    client, _ = staff_client(None, "root")

    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = client.post(URL, {**FORM, "logo_upload": upload})

    assert "logo_upload" in response.context["adminform"].form.errors
    assert ShopIdentity.objects.filter(logo__isnull=False).count() == 0


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (reportlab's streams: ASCII85, then Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL)
    return "".join(
        zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>"))).decode("latin-1")
        for stream in streams
    )


def _paid_invoice(customer: User, plan: Plan) -> Invoice:
    order = order_create(customer=customer, plan=plan, billing=BILLING)
    order_await_payment(order=order)
    order_mark_paid(order_id=order.pk, actor="test")
    return Invoice.objects.get(order=order)


@override_settings(SELLER_LEGAL_NAME="Default Seller Ltd")
def test_invoices_carry_the_seller_as_it_was_when_issued(alice: User, plan: Plan) -> None:
    ShopIdentity.objects.create(pk=1, vat_number="FR12345678901")
    forget_shop_identity()
    invoice = _paid_invoice(alice, plan)

    # The seller moves and changes its name; the invoice already issued does not.
    ShopIdentity.objects.filter(pk=1).update(
        legal_name="Renamed SAS", address="2 Quai Neuf, Lyon", vat_number="FR99999999999"
    )
    forget_shop_identity()
    invoice.refresh_from_db()
    text = pdf_text(invoice_pdf(invoice))
    page = signed_in(alice).get(f"/orders/{invoice.order.public_id}/invoice/").content.decode()

    assert "Default Seller Ltd" in text and "FR12345678901" in text
    assert "Renamed SAS" not in text and "FR99999999999" not in text
    assert "Default Seller Ltd" in page and "Renamed SAS" not in page
    # An invoice issued now names the seller as it is now.
    text = pdf_text(invoice_pdf(_paid_invoice(alice, plan)))
    assert "Renamed SAS" in text and "FR99999999999" in text and "2 Quai Neuf, Lyon" in text

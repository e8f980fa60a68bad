"""Invoice documents: the PDF (ReportLab)."""

from __future__ import annotations

from io import BytesIO

from babel.dates import format_date
from django.conf import settings
from django.utils.translation import gettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from roamwise.core.countries import country_name, current_locale
from roamwise.core.money import Money

from .models import Invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(gettext("Invoice %(number)s") % {"number": invoice.number})
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(
        20 * mm,
        y,
        gettext("%(site_name)s invoice %(number)s")
        % {"site_name": settings.SITE_NAME, "number": invoice.number},
    )
    pdf.setFont("Helvetica", 10)
    y -= 10 * mm
    issued = format_date(invoice.issued_at, format="long", locale=current_locale())
    pdf.drawString(20 * mm, y, gettext("Issued %(date)s") % {"date": issued})
    y -= 12 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, gettext("Billed to"))
    pdf.setFont("Helvetica", 10)
    address = invoice.billing_address or {}
    lines = [
        invoice.billing_name,
        address.get("line1", ""),
        address.get("line2", ""),
        f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
        country_name(invoice.billing_country) if invoice.billing_country else "",
    ]
    for line in filter(None, lines):
        y -= 5 * mm
        pdf.drawString(20 * mm, y, line)
    y -= 14 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, gettext("Description"))
    pdf.drawRightString(width - 20 * mm, y, gettext("Amount"))
    pdf.setFont("Helvetica", 10)
    rows = [
        (invoice.description, Money(invoice.net_amount, invoice.currency)),
        (
            gettext("VAT %(rate).1f%%") % {"rate": invoice.tax_rate * 100},
            Money(invoice.tax_amount, invoice.currency),
        ),
    ]
    for label, amount in rows:
        y -= 7 * mm
        pdf.drawString(20 * mm, y, label)
        pdf.drawRightString(width - 20 * mm, y, str(amount))
    y -= 9 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, gettext("Total"))
    pdf.drawRightString(width - 20 * mm, y, str(Money(invoice.total, invoice.currency)))
    pdf.setFont("Helvetica", 8)
    pdf.drawString(20 * mm, 15 * mm, f"{settings.SITE_NAME} · {settings.PRIVACY_ADDRESS}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

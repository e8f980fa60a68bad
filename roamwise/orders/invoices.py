"""Invoice documents: the PDF (ReportLab)."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from roamwise.core.identity import shop_identity
from roamwise.core.money import Money

from .models import Invoice


def invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Invoice {invoice.number}")
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 18)
    seller = shop_identity()
    pdf.drawString(20 * mm, y, f"{seller.shop_name} invoice {invoice.number}")
    pdf.setFont("Helvetica", 10)
    y -= 10 * mm
    pdf.drawString(20 * mm, y, f"Issued {invoice.issued_at:%d %B %Y}")
    y -= 12 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, "Billed to")
    pdf.setFont("Helvetica", 10)
    address = invoice.billing_address or {}
    lines = [
        invoice.billing_name,
        address.get("line1", ""),
        address.get("line2", ""),
        f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
        invoice.billing_country,
    ]
    for line in filter(None, lines):
        y -= 5 * mm
        pdf.drawString(20 * mm, y, line)
    y -= 14 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, "Description")
    pdf.drawRightString(width - 20 * mm, y, "Amount")
    pdf.setFont("Helvetica", 10)
    rows = [
        (invoice.description, Money(invoice.net_amount, invoice.currency)),
        (f"VAT {invoice.tax_rate * 100:.1f}%", Money(invoice.tax_amount, invoice.currency)),
    ]
    for label, amount in rows:
        y -= 7 * mm
        pdf.drawString(20 * mm, y, label)
        pdf.drawRightString(width - 20 * mm, y, str(amount))
    y -= 9 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, "Total")
    pdf.drawRightString(width - 20 * mm, y, str(Money(invoice.total, invoice.currency)))
    pdf.setFont("Helvetica", 8)
    pdf.drawString(20 * mm, 19 * mm, f"{seller.legal_name} · VAT {seller.vat_number}")
    pdf.drawString(20 * mm, 15 * mm, " ".join(seller.address.split()))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

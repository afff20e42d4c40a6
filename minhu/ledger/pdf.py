"""The notice-board PDF of a disclosure: the statement, its checksum and a QR code back to the public page.

Chinese text uses the Adobe standard CID font STSong-Light (built into reportlab, not embedded): every PDF
reader with Chinese support renders it, the file stays small, and the text remains extractable and
searchable.
"""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from minhu.ledger.models import Disclosure

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def disclosure_pdf(d: Disclosure, url: str) -> bytes:
    s = d.statement
    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{d.organisation.name} {_('Financial disclosure')}")
    width, height = A4
    x, y = 20 * mm, height - 25 * mm

    def line(text: str, size: float = 11, dx: float = 0, right: str | None = None) -> None:
        nonlocal y
        c.setFont(FONT, size)
        c.drawString(x + dx, y, text)
        if right is not None:
            c.drawRightString(width - 20 * mm, y, right)
        y -= size * 1.7

    line(f"{d.organisation.name} · {_('Financial disclosure')}", 18)
    line(f"{d.get_period_display()} {d.start:%Y-%m-%d} – {d.end:%Y-%m-%d}", 12)
    y -= 4 * mm
    for heading, rows, total_label, total in (
        (_("Income"), s["income"], _("Total income"), s["total_income"]),
        (_("Costs"), s["costs"], _("Total costs"), s["total_costs"]),
    ):
        line(heading, 14)
        for row in rows:
            line(row["name"], 11, dx=6 * mm, right=row["amount"])
        line(total_label, 12, right=total)
        y -= 3 * mm
    line(_("Profit or loss"), 12, right=s["profit_or_loss"])
    line(_("Maintenance of common parts"), 12, right=s["maintenance"])
    y -= 6 * mm
    line(f"{_('Checksum')}:", 11)
    line(d.checksum, 9)
    note = _(
        "Amounts in yuan (CNY). The checksum is printed on the notice board too: anyone can compare it with "
        "this page."
    )
    line(note, 8)

    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 35 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, width - 20 * mm - size, 18 * mm)
    c.setFont(FONT, 8)
    c.drawRightString(width - 20 * mm, 15 * mm, url)
    c.showPage()
    c.save()
    return buf.getvalue()

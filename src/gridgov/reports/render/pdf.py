"""PDF through reportlab, with a TrueType CJK font embedded (subset) so the file reads the same
on any machine. When no TrueType CJK font is installed, reportlab's built-in Adobe CID font
STSong-Light is used instead: not embedded, every PDF reader ships it or a substitute."""

from __future__ import annotations

import io
import threading
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gridgov.reports.fonts import truetype_cjk
from gridgov.reports.render import Doc
from gridgov.reports.tables import Table as DataTable
from gridgov.reports.tables import cell_text

_lock = threading.Lock()
_font: list[str] = []


def font_name() -> str:
    with _lock:
        if not _font:
            found = truetype_cjk()
            if found:
                pdfmetrics.registerFont(TTFont("GridgovCJK", found[0], subfontIndex=found[1]))
                _font.append("GridgovCJK")
            else:
                pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
                _font.append("STSong-Light")
        return _font[0]


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "t", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=4
        ),
        "sub": ParagraphStyle(
            "s", fontName=font, fontSize=10, leading=14, alignment=TA_CENTER, textColor="#555"
        ),
        "h1": ParagraphStyle("h1", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3),
        "body": ParagraphStyle(
            "b", fontName=font, fontSize=10.5, leading=17, firstLineIndent=21, wordWrap="CJK"
        ),
        "cell": ParagraphStyle("c", fontName=font, fontSize=8, leading=10, wordWrap="CJK"),
        "cap": ParagraphStyle("cap", fontName=font, fontSize=8.5, leading=11, alignment=TA_CENTER),
        "foot": ParagraphStyle("f", fontName=font, fontSize=7.5, leading=10, textColor="#777"),
    }


def _table(t: DataTable, st: dict[str, ParagraphStyle], width: float) -> Table:
    head = [Paragraph(escape(h), st["cell"]) for h in t.headers]
    body = [
        [Paragraph(escape(cell_text(t, r, c, v)), st["cell"]) for c, v in enumerate(row)]
        for r, row in enumerate(t.rows)
    ]
    table = Table([head, *body], colWidths=[width / len(t.headers)] * len(t.headers), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b5")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def render_pdf(doc: Doc) -> bytes:
    font = font_name()
    st = _styles(font)
    buf = io.BytesIO()
    page = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
        title=doc.title,
        subject=doc.subtitle,
    )
    width = A4[0] - 4 * cm
    flow: list = [Paragraph(escape(doc.title), st["title"]), Paragraph(escape(doc.subtitle), st["sub"])]
    for n, s in enumerate(doc.sections, 1):
        flow.append(Paragraph(escape(f"{n}. {s['title']}"), st["h1"]))
        flow += [Paragraph(escape(p.strip()), st["body"]) for p in s["text"].split("\n") if p.strip()]
    for title, png in doc.charts:
        img = Image(io.BytesIO(png))
        scale = min(1.0, width / img.drawWidth)
        img.drawWidth, img.drawHeight = img.drawWidth * scale, img.drawHeight * scale
        flow.append(KeepTogether([Spacer(1, 6), img, Paragraph(escape(title), st["cap"])]))
    flow.append(Paragraph("附表", st["h1"]))
    for t in doc.tables:
        flow.append(Paragraph(escape(t.title), st["h2"]))
        flow.append(_table(t, st, width) if t.rows else Paragraph("(无)", st["body"]))
    flow += [Spacer(1, 10), Paragraph(escape(doc.footer), st["foot"])]
    page.build(flow)
    return buf.getvalue()

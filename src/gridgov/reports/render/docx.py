from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from gridgov.reports.render import Doc
from gridgov.reports.tables import cell_text

# Word picks East Asian glyphs from the eastAsia font slot; without it Chinese falls back to
# whatever the reader's Word chooses.
EAST_ASIA_FONT = "Microsoft YaHei"


def _cjk(style: object) -> None:
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)


def render_docx(doc: Doc) -> bytes:
    d = Document()
    for s in d.sections:
        s.left_margin = s.right_margin = Cm(2.2)
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        _cjk(d.styles[name])
    d.styles["Normal"].font.size = Pt(11)
    title = d.add_heading(doc.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = d.add_paragraph(doc.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for n, sec in enumerate(doc.sections, 1):
        d.add_heading(f"{n}. {sec['title']}", level=1)
        for para in sec["text"].split("\n"):
            if para.strip():
                d.add_paragraph(para.strip())
    if doc.charts:
        d.add_heading("图表", level=1)
        for title_text, png in doc.charts:
            d.add_picture(io.BytesIO(png), width=Cm(15.5))
            cap = d.add_paragraph(title_text)
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_heading("附表", level=1)
    for t in doc.tables:
        d.add_heading(t.title, level=2)
        if not t.rows:
            d.add_paragraph("(无)")
            continue
        table = d.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        for i, h in enumerate(t.headers):
            table.rows[0].cells[i].text = h
        for r, row in enumerate(t.rows):
            cells = table.add_row().cells
            for c, value in enumerate(row):
                cells[c].text = cell_text(t, r, c, value)
    d.add_paragraph(doc.footer).runs[0].font.size = Pt(8)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()

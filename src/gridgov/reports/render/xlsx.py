from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.reports.render import Doc

# Excel sheet names: at most 31 characters, none of []:*?/\
_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


def render_xlsx(doc: Doc) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for t in doc.tables:
        ws = wb.create_sheet(t.title.split("(")[0].translate(_BAD)[:31])
        ws.append([f"{doc.title} · {doc.subtitle}"])
        ws.append([t.title])
        ws.append(list(t.headers))
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for r, row in enumerate(t.rows):
            ws.append(list(row))
            for c, value in enumerate(row):
                if t.is_rate(r, c) and isinstance(value, int | float):
                    ws.cell(
                        row=ws.max_row, column=c + 1
                    ).number_format = '0.0"%"'  # the value is already in percent
        for col in ws.columns:
            width = max((len(str(c.value)) for c in col[2:] if c.value is not None), default=8)
            ws.column_dimensions[col[0].column_letter].width = min(40, width * 2 + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

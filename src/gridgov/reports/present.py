"""A report version as a `render.Doc`, and the file answers of its downloads."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

from gridgov.reports.models import Report, ReportVersion
from gridgov.reports.render import Doc
from gridgov.reports.render.docx import render_docx
from gridgov.reports.render.pdf import render_pdf
from gridgov.reports.render.xlsx import render_xlsx
from gridgov.reports.tables import tables_of

TITLE_SUFFIX = {
    "daily": "社会治理工作日报",
    "weekly": "社会治理工作周报",
    "monthly": "社会治理工作月通报",
    "quarterly": "社会治理工作季度问效",
}

FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
    "pdf": ("application/pdf", render_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
}


def title_of(b: Report) -> str:
    return f"{b.region.name}{TITLE_SUFFIX[b.kind]}"


def doc_of(b: Report, v: ReportVersion) -> Doc:
    data = v.data
    state = v.get_state_display()
    when = v.published_at or v.edited_at or v.generated_at
    return Doc(
        title=title_of(b),
        subtitle=f"{data['period_label']} · 第 {v.number} 版 · {state}",
        sections=v.sections,
        tables=tables_of(data),
        charts=[(c.title, bytes(c.png)) for c in v.charts.all()],
        footer=(
            f"数据截至 {data['overdue_at']} 生成;"
            f"{state}于 {timezone.localtime(when).strftime('%Y-%m-%d %H:%M')}。"
            "指标口径见 docs/indicators.md,文字由系统依据数据生成,经编辑后发布。"
        ),
    )


def download(b: Report, v: ReportVersion, fmt: str) -> HttpResponse:
    content_type, render = FORMATS[fmt]
    doc = doc_of(b, v)
    response = HttpResponse(render(doc), content_type=content_type)
    name = doc.filename(fmt).replace(" ", "")
    response["Content-Disposition"] = (
        f"attachment; filename=\"report-{b.pk}-v{v.number}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def png_response(png: bytes) -> HttpResponse:
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"  # a version's charts never change
    return response

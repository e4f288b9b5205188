"""The error report of an import job (row, column, value masked, message in Chinese) and the
blank templates of each register, as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

from gridgov.bulk.columns import Column, columns_for
from gridgov.bulk.enums import FileFormat
from gridgov.bulk.models import ImportJob

REPORT_HEADER = ["行号", "列", "值(已脱敏)", "错误代码", "说明"]


def _issue_rows(job: ImportJob) -> Iterator[list[str | int]]:
    for row, column, value, code, message in (
        job.issues.order_by("row", "id")
        .values_list("row", "column", "value", "code", "message")
        .iterator(5000)
    ):
        yield [row, column, value, code, message]


def _write(
    header: list[str], rows: Iterator[list[str | int]], fmt: FileFormat, out: IO[bytes], title: str
) -> None:
    if fmt == FileFormat.CSV:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        text.flush()
        text.detach()
        return
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(out)


def error_report_write(job: ImportJob, fmt: str, out: IO[bytes]) -> None:
    _write(REPORT_HEADER, _issue_rows(job), FileFormat(fmt), out, "错误报告")


def _template_header(columns: tuple[Column, ...]) -> list[str]:
    # A required column is marked with *; the reader accepts the header with or without it.
    return [f"{c.header}*" if c.required else c.header for c in columns]


def template_write(register: str, fmt: str, out: IO[bytes], *, place: dict[str, str] | None = None) -> None:
    """The header row and one example row. The example's place (community, lon, lat) is one
    of the downloader's own area when given, so the example itself imports."""
    columns = columns_for(register)
    place = place or {}
    example = [place.get(c.key, c.example) for c in columns]
    form = FileFormat(fmt)
    if form == FileFormat.CSV:
        _write(_template_header(columns), iter([list(example)]), form, out, "")
        return
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "数据"
    sheet.append(_template_header(columns))
    sheet.append(example)
    for i, c in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True, color="B00000" if c.required else "000000")
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        note = c.note or (f"可选值:{c.choice_labels()}" if c.choices is not None else "")
        if note:
            cell.comment = Comment(note, "gridgov")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(10, len(c.header) * 2 + 4)
        # Identity numbers, codes and phones as text: Excel would turn them into numbers and
        # drop digits past the fifteenth.
        sheet.column_dimensions[letter].number_format = "@"
        sheet.cell(row=2, column=i).number_format = "@"
    notes = book.create_sheet("填写说明")
    notes.append(["列", "必填", "说明"])
    for c in columns:
        text = c.note or (f"可选值:{c.choice_labels()}" if c.choices is not None else "")
        notes.append([c.header, "是" if c.required else "", text])
    book.save(out)

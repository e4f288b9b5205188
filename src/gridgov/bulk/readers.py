"""Reading an uploaded register file (CSV or XLSX) into batches of rows of text.

The first row is the header, in Chinese as in the templates (the English keys are accepted
too). Row numbers are those a person sees in Excel: the header is row 1, the first data row 2.
A CSV saved by Chinese Excel is GB18030 rather than UTF-8, so both are accepted.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gridgov.bulk.columns import Column
from gridgov.bulk.enums import FileFormat
from gridgov.core.errors import InvalidInput

# What the page accepts; the CLI reads any size.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Batch:
    first_row: int  # the file row number of rows[0]
    rows: list[list[str]]  # cells in the order of `RowSource.columns`


@dataclass(frozen=True)
class Cutter:
    """How the lines of a plain CSV become a row's cells: the file's encoding and, for each
    spec column, its position in the file. Small and picklable: it travels with each LineBatch."""

    encoding: str
    where: tuple[int | None, ...]


@dataclass(frozen=True)
class LineBatch:
    """A batch still as the file's bytes (`size` lines of a plain CSV: no quote character, so
    one line is one row and a comma always separates two cells). Whoever checks it (a worker
    process: workers.py) cuts it into the same Batch `RowSource.batches` gives, so the process
    that reads the file neither parses nor pickles the cells."""

    first_row: int
    data: bytes
    lines: int  # the file rows it holds, blank ones included
    cutter: Cutter
    last: bool  # the file's last batch: trailing blank rows are dropped, as batches() does

    def batch(self) -> Batch:
        text = self.data.decode(self.cutter.encoding)
        if "\r" in text:
            # Every CR of a plain CSV ends a line with its LF (_plain_csv): one C pass for all.
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()  # the final line's own newline
        where = self.cutter.where
        pick, _ = _picker(where)
        rows: list[list[str]] | None = None
        if pick is not None:
            strip = str.strip
            try:
                # Every line holding every column (the common batch): one C-level split, pick
                # and strip a line.
                rows = [list(map(strip, pick(line.split(",")))) for line in lines]
            except IndexError:
                rows = None  # a blank or short line: each line as below
        if rows is None:
            to_cells = _to_cells(where, str.strip)
            rows = [to_cells(line.split(",") if line else []) for line in lines]
        if self.last:
            while rows and not any(rows[-1]):
                rows.pop()
        return Batch(self.first_row, rows)


def _picker(where: tuple[int | None, ...]) -> tuple[Callable[[list[Any]], tuple[Any, ...]] | None, int]:
    """The C-level pick of the spec's cells from a file row when every column is present (None
    otherwise), and the cells a row needs for it."""
    full = len(where) > 1 and all(w is not None for w in where)
    width = max((w for w in where if w is not None), default=-1) + 1
    return (operator.itemgetter(*where) if full else None), width


def _to_cells(
    where: tuple[int | None, ...], convert: Callable[[Any], str]
) -> Callable[[list[Any]], list[str]]:
    """One file row (its cells in the file's order) → the spec's cells, stripped. With every
    column present, one C-level pick and strip per row instead of a test per cell."""
    pick, width = _picker(where)
    strip = str.strip

    def cells(raw: list[Any]) -> list[str]:
        have = len(raw)
        if pick is not None and have >= width and convert is strip:
            return list(map(strip, pick(raw)))
        return [convert(raw[w]) if w is not None and w < have else "" for w in where]

    return cells


def sniff_format(name: str, head: bytes) -> FileFormat:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        if not head.startswith(XLSX_MAGIC):
            raise InvalidInput(
                "文件扩展名为 .xlsx,但内容不是 Excel 工作簿", "the .xlsx file is not an Excel workbook"
            )
        return FileFormat.XLSX
    if suffix in (".csv", ".txt"):
        if head.startswith(XLSX_MAGIC) or b"\x00" in head[:4096]:
            raise InvalidInput("文件扩展名为 .csv,但内容不是文本", "the .csv file is not text")
        return FileFormat.CSV
    raise InvalidInput(
        f"不支持的文件类型 {suffix or '(无扩展名)'},请上传 CSV 或 XLSX",
        f"unsupported file type {suffix or '(none)'}; upload CSV or XLSX",
    )


def check_size(size: int, *, limit: int = MAX_UPLOAD_BYTES) -> None:
    if size == 0:
        raise InvalidInput("文件为空", "the file is empty")
    if size > limit:
        raise InvalidInput(
            f"文件过大({size / 2**20:.1f} MB),上限 {limit / 2**20:.0f} MB;"
            "更大的文件请用命令行 gridgov import",
            f"file too large ({size / 2**20:.1f} MB, limit {limit / 2**20:.0f} MB); "
            "use `gridgov import` for bigger files",
        )


def _plain_csv(path: Path, block: int = 1 << 24) -> bool:
    """No quote character, no NUL, and every CR followed by a LF: read block by block."""
    carry = b""
    with open(path, "rb") as fh:
        while True:
            data = fh.read(block)
            if not data:
                return not carry  # a file ending in a lone CR
            data = carry + data
            carry = data[-1:] if data.endswith(b"\r") else b""
            body = data[: len(data) - len(carry)]
            if b'"' in body or b"\x00" in body or body.count(b"\r") != body.count(b"\r\n"):
                return False


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _map_header(header: list[str], columns: tuple[Column, ...]) -> list[int | None]:
    """For each spec column, its position in the file (None when absent)."""
    names = [h.strip().lstrip("\ufeff").rstrip("*").strip() for h in header]
    while names and not names[-1]:
        names.pop()
    known = {}
    for i, col in enumerate(columns):
        known[col.header] = i
        known[col.key] = i
    unknown = [n for n in names if n and n not in known]
    if unknown:
        raise InvalidInput(
            f"表头有无法识别的列:{'、'.join(unknown[:5])};请使用下载的模板",
            f"unknown column(s) in the header: {', '.join(unknown[:5])}; use the downloaded template",
        )
    where: list[int | None] = [None] * len(columns)
    for pos, n in enumerate(names):
        if n:
            if where[known[n]] is not None:
                raise InvalidInput(f"表头中“{n}”列重复", f"column {n!r} appears twice in the header")
            where[known[n]] = pos
    missing = [c.header for c, w in zip(columns, where, strict=True) if c.required and w is None]
    if missing:
        raise InvalidInput(
            f"表头缺少必填列:{'、'.join(missing)}",
            f"the header lacks required column(s): {', '.join(missing)}",
        )
    return where


class RowSource:
    """The data rows of one file, batch by batch, cells reordered to the spec's columns."""

    def __init__(self, path: Path, fmt: FileFormat, columns: tuple[Column, ...]):
        self.path = path
        self.fmt = fmt
        self.columns = columns

    def _raw_rows(self) -> Iterator[list[Any]]:
        if self.fmt == FileFormat.XLSX:
            import openpyxl

            try:
                book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
                raise InvalidInput("无法读取 Excel 文件", f"cannot read the Excel file: {exc}") from exc
            try:
                sheet = book.worksheets[0]
                for row in sheet.iter_rows(values_only=True):
                    yield list(row)
            finally:
                book.close()
            return
        with self._open_text() as fh:
            yield from csv.reader(fh)

    def _open_text(self) -> io.TextIOWrapper:
        with open(self.path, "rb") as fh:
            raw = fh.read(65536)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                # The sample may end in the middle of a character.
                if exc.start < len(raw) - 4:
                    continue
            return open(self.path, encoding=encoding, newline="")
        raise InvalidInput("CSV 文件编码无法识别(应为 UTF-8 或 GB18030)", "CSV encoding not UTF-8 or GB18030")

    def batches(self, size: int, *, skip_rows: int = 0) -> Iterator[Batch]:
        """Batches of `size` data rows; skip_rows data rows are passed over first (a resumed
        import). Blank lines count as rows (so row numbers match the file) but carry no cells."""
        rows = self._raw_rows()
        header = next(rows, None)
        if header is None:
            raise InvalidInput("文件为空", "the file is empty")
        where = _map_header([_cell(h) for h in header], self.columns)
        pending: list[list[str]] = []
        first = 2 + skip_rows
        # A CSV cell is already text: only stripped, the costlier conversion is for workbooks.
        to_cells = _to_cells(tuple(where), _cell if self.fmt == FileFormat.XLSX else str.strip)
        for n, raw in enumerate(rows):
            if n < skip_rows:
                continue
            pending.append(to_cells(raw))
            if len(pending) == size:
                yield Batch(first, pending)
                first += size
                pending = []
        if pending:
            # Trailing blank rows (Excel keeps formatted empty rows) are not data.
            while pending and not any(pending[-1]):
                pending.pop()
            if pending:
                yield Batch(first, pending)

    def line_batches(self, size: int, *, skip_rows: int = 0) -> Iterator[LineBatch] | None:
        """The batches of `batches()` still as bytes, when the file allows it (a CSV with no
        quote character, no line ending in a lone CR, no NUL: then one line is one row and
        splitting at the commas is exactly what csv.reader does); None otherwise, and the caller
        reads `batches()`. The one pass over the file's bytes that decides it runs at C speed."""
        if self.fmt != FileFormat.CSV or not _plain_csv(self.path):
            return None
        with self._open_text() as fh:
            # The byte order mark is only at the start of the file, before the header.
            encoding = "utf-8" if fh.encoding == "utf-8-sig" else fh.encoding
            header = next(csv.reader(fh), None)
        if header is None:
            raise InvalidInput("文件为空", "the file is empty")
        cutter = Cutter(encoding, tuple(_map_header([_cell(h) for h in header], self.columns)))
        return self._lines(size, skip_rows, cutter)

    def _lines(self, size: int, skip_rows: int, cutter: Cutter) -> Iterator[LineBatch]:
        with open(self.path, "rb") as fh:
            fh.readline()  # the header
            for _ in itertools.islice(fh, skip_rows):
                pass
            first = 2 + skip_rows
            lines = list(itertools.islice(fh, size))
            while lines:
                following = list(itertools.islice(fh, size))
                yield LineBatch(first, b"".join(lines), len(lines), cutter, last=not following)
                first += size
                lines = following

    def header_check(self) -> None:
        rows = self._raw_rows()
        header = next(rows, None)
        if header is None:
            raise InvalidInput("文件为空", "the file is empty")
        _map_header([_cell(h) for h in header], self.columns)

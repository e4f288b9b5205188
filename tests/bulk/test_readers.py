"""A plain CSV's batches cut from its bytes (readers.LineBatch, what the check workers are sent)
are exactly the batches csv.reader gives (RowSource.batches): padded cells, every kind of
whitespace str.strip knows, LF, CRLF and both in one file, blank lines, missing, extra and
reordered columns, GB18030."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgov.bulk.columns import columns_for
from gridgov.bulk.enums import FileFormat, RegisterKind
from gridgov.bulk.readers import RowSource

COLUMNS = columns_for(RegisterKind.RESIDENTS)
HEADERS = [c.header for c in COLUMNS]


def _row(i: int) -> list[str]:
    cells = [f"{c.key}{i}" for c in COLUMNS]
    cells[0] = f"王{i}"
    return cells


def _source(tmp_path: Path, lines: list[str], *, newline: str = "\n", encoding: str = "utf-8") -> RowSource:
    path = tmp_path / "residents.csv"
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
    return RowSource(path, FileFormat.CSV, COLUMNS)


def _both(
    source: RowSource, size: int
) -> tuple[list[tuple[int, list[list[str]]]], list[tuple[int, list[list[str]]]]]:
    by_lines = source.line_batches(size)
    assert by_lines is not None, "a plain CSV is cut from its bytes"
    cut = [(b.first_row, b.batch().rows) for b in by_lines]
    read = [(b.first_row, [list(r) for r in b.rows]) for b in source.batches(size)]
    return cut, read


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_plain_file_is_cut_as_csv_reader_cuts_it(tmp_path, newline):
    source = _source(tmp_path, [",".join(HEADERS)] + [",".join(_row(i)) for i in range(25)], newline=newline)
    cut, read = _both(source, 10)
    assert cut == read
    assert [len(rows) for _, rows in cut] == [10, 10, 5]
    assert cut[0][1][0] == _row(0)


@pytest.mark.parametrize(
    "pad",
    [" ", "\t", "\u3000", "\xa0", "\u2003", "\x0b", "\x1f", "\x85"],
    ids=["space", "tab", "ideographic", "nbsp", "em-space", "vtab", "unit-sep", "nel"],
)
def test_a_padded_cell_is_stripped_as_csv_reader_then_strip_would(tmp_path, pad):
    rows = [_row(i) for i in range(12)]
    rows[3][0] = f"{pad}李{pad}"  # batch 1 needs stripping; batch 2 does not
    source = _source(tmp_path, [",".join(HEADERS)] + [",".join(r) for r in rows])
    cut, read = _both(source, 6)
    assert cut == read
    assert cut[0][1][3][0] == "李"


def test_crlf_blank_lines_and_ragged_rows_agree(tmp_path):
    rows = [",".join(_row(i)) for i in range(9)]
    rows[2] = ""  # a blank line: a row without cells
    rows[4] = ",".join(_row(4)[:5])  # missing cells: empty
    rows[6] = ",".join([*_row(6), "extra"])  # a cell beyond the header: ignored
    source = _source(tmp_path, [",".join(HEADERS), *rows], newline="\r\n")
    cut, read = _both(source, 4)
    assert cut == read
    assert cut[0][1][2] == [""] * len(COLUMNS)
    assert cut[1][1][0][5:] == [""] * (len(COLUMNS) - 5)


def test_lines_ending_some_in_lf_some_in_crlf_agree(tmp_path):
    path = tmp_path / "mixed.csv"
    rows = [",".join(_row(i)) for i in range(6)]
    path.write_bytes(
        ("\r\n".join([",".join(HEADERS), *rows[:3]]) + "\n" + "\n".join(rows[3:]) + "\n").encode()
    )
    source = RowSource(path, FileFormat.CSV, COLUMNS)
    cut, read = _both(source, 6)
    assert cut == read
    assert cut[0][1][5] == _row(5)


def test_columns_in_another_order_or_missing_take_the_general_cut(tmp_path):
    left_out = next(j for j, c in enumerate(COLUMNS) if not c.required)
    order = [j for j in reversed(range(len(HEADERS))) if j != left_out]
    lines = [",".join(HEADERS[j] for j in order)]
    lines += [",".join(_row(i)[j] for j in order) for i in range(5)]
    source = _source(tmp_path, lines)
    cut, read = _both(source, 5)
    assert cut == read
    assert cut[0][1][1][left_out] == ""  # a column the file lacks: empty cells
    assert cut[0][1][1][0] == "王1"


def test_a_gb18030_file_agrees_too(tmp_path):
    source = _source(
        tmp_path, [",".join(HEADERS)] + [",".join(_row(i)) for i in range(7)], encoding="gb18030"
    )
    cut, read = _both(source, 5)
    assert cut == read
    assert cut[0][1][0][0] == "王0"

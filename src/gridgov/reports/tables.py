"""The report's tables, built once from the frozen figures and drawn by every format (the
page, DOCX, PDF, XLSX), so the four never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgov.reports.enums import ReportKind
from gridgov.reports.gather import CATEGORY_COLS, RANKED
from gridgov.reports.writer import num, pct, points, relative

Cell = str | int | float | None

LABELS = {
    "intake": "受理",
    "closed": "办结",
    "overdue": "超期",
    "on_time_handling_rate": "按期处置率",
    "closure_rate": "结案率",
    "satisfaction_rate": "满意率",
}


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # Columns holding a rate in percent (85.0 = 85 %): shown with a % sign, in XLSX a number formatted so.
    rate_columns: frozenset[int] = frozenset()
    # Rows whose numbers are all rates (the summary mixes counts, rates and hours by row).
    rate_rows: frozenset[int] = frozenset()

    def is_rate(self, row: int, col: int) -> bool:
        return col in self.rate_columns or row in self.rate_rows


def _shown(v: dict[str, Any], name: str) -> Cell:
    if name in ("intake", "closed", "overdue", "in_progress"):
        return int(v["numerator"]) if v["value"] is None else v["value"]
    return v["value"]


def summary(data: dict[str, Any]) -> Table:
    rows, rate_rows = [], set()
    for n, i in enumerate(data["indicators"]):
        if i["unit"] == "%":
            rate_rows.add(n)
        rate = n in rate_rows
        rows.append(
            (
                i["label"],
                i["value"],
                i["unit"],
                i["previous"],
                points(i["value"], i["previous"], "") if rate else relative(i["mom"], ""),
                i["year_ago"],
                points(i["value"], i["year_ago"], "") if rate else relative(i["yoy"], ""),
            )
        )
    return Table(
        "summary",
        "指标汇总",
        ("指标", "本期", "单位", data["previous_label"], "环比", "去年同期", "同比"),
        tuple(rows),
        rate_rows=frozenset(rate_rows),
    )


def _ranking(key: str, title: str, first: str, rows: list[dict[str, Any]]) -> Table:
    cols = tuple(LABELS[n] for n in RANKED)
    out = tuple(
        (n, r["label"], *(_shown(r["values"][name], name) for name in RANKED)) for n, r in enumerate(rows, 1)
    )
    rates = frozenset(2 + i for i, name in enumerate(RANKED) if name.endswith("_rate"))
    return Table(key, title, ("排名(由低到高)", first, *cols), out, rates)


def regions(data: dict[str, Any]) -> Table:
    return _ranking("regions", "区域排名(按期处置率)", "区域", data["regions"])


def departments(data: dict[str, Any]) -> Table:
    return _ranking("departments", "部门排名(按期处置率)", "部门", data["departments"])


def categories(data: dict[str, Any]) -> Table:
    total = sum(c["values"]["intake"]["numerator"] for c in data["categories"]) or 1
    rows = tuple(
        (
            c["label"],
            *(_shown(c["values"][n], n) for n in CATEGORY_COLS),
            c["values"]["intake"]["numerator"] / total * 100,
            relative(c["values"]["intake"]["mom"], ""),
        )
        for c in data["categories"]
    )
    return Table(
        "categories", "事项类别", ("类别", "受理", "办结", "超期", "占比", "受理环比"), rows, frozenset({4})
    )


def places(data: dict[str, Any]) -> Table:
    rows = tuple((p["name"], p["code"], p["count"], p["category"]) for p in data["places"])
    return Table("places", "重复发生事件的网格", ("网格", "网格编码", "事件数", "主要类别"), rows)


def overdue(data: dict[str, Any]) -> Table:
    rows = tuple(
        (
            r["number"],
            r["title"],
            r["category"],
            r["region"],
            r["owner"],
            r["status"],
            r["due_at"],
            r["days_late"],
        )
        for r in data["overdue"]
    )
    return Table(
        "overdue",
        f"超期事件清单(截至 {data['overdue_at']})",
        ("事件编号", "标题", "类别", "区域", "责任单位", "状态", "办理期限", "超期天数"),
        rows,
    )


def tables_of(data: dict[str, Any]) -> list[Table]:
    out = [summary(data)]
    if data["kind"] != ReportKind.DAILY:
        out += [regions(data), departments(data)]
    out += [categories(data)]
    if data["kind"] != ReportKind.DAILY:
        out.append(places(data))
    out.append(overdue(data))
    return out


def cell_text(table: Table, row: int, col: int, value: Cell) -> str:
    """How a cell reads on the page, in DOCX and PDF."""
    if value is None:
        return "—"
    if table.is_rate(row, col) and isinstance(value, int | float):
        return pct(float(value))
    if isinstance(value, float):
        return num(value)
    return str(value)

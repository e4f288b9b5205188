"""Which period a report of each kind covers, and how it is named in the text."""

from __future__ import annotations

from datetime import date, timedelta

from gridgov.reports.enums import ReportKind
from gridgov.stats.indicators import Period

QUARTER_ZH = {1: "一", 2: "二", 3: "三", 4: "四"}


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == ReportKind.DAILY:
        return Period.day(day)
    if kind == ReportKind.WEEKLY:
        return Period.week_of(day)
    if kind == ReportKind.MONTHLY:
        return Period.month_of(day)
    return Period.quarter_of(day)


def last_complete(kind: str, today: date) -> Period:
    """The latest period of `kind` that ended before `today`: yesterday, last week (Mon–Sun),
    last month, last quarter. What the schedule generates."""
    return period_of(kind, period_of(kind, today).start - timedelta(days=1))


def period_label(kind: str, start: date, end: date) -> str:
    if kind == ReportKind.DAILY:
        return f"{start.year}年{start.month}月{start.day}日"
    if kind == ReportKind.WEEKLY:
        week = start.isocalendar().week
        return f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日(第{week}周)"
    if kind == ReportKind.MONTHLY:
        return f"{start.year}年{start.month}月"
    return f"{start.year}年第{QUARTER_ZH[(start.month - 1) // 3 + 1]}季度"


def previous_label(kind: str) -> str:
    return {
        ReportKind.DAILY: "前一日",
        ReportKind.WEEKLY: "上周",
        ReportKind.MONTHLY: "上月",
        ReportKind.QUARTERLY: "上季度",
    }[ReportKind(kind)]

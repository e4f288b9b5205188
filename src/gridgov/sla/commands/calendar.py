"""`gridgov sla calendar 2026-10`: a month's working days and rest days, and where each answer
came from."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from gridgov.core.errors import InvalidInput
from gridgov.sla.enums import DaySource
from gridgov.sla.selectors import current_calendar

HELP = "某月的工作日与节假日 / a month's working days and holidays"
WEEKDAYS = "一二三四五六日"


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise InvalidInput(
            f"月份格式应为 YYYY-MM:{text!r}", f"month must look like YYYY-MM: {text!r}"
        ) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("month", help="YYYY-MM, 例如 2026-10")


def handle(options: dict[str, Any], out: Any) -> None:
    first = _month(options["month"])
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    calendar = current_calendar()
    hours = ", ".join(f"{p.start:%H:%M}–{p.end:%H:%M}" for p in calendar.periods)
    per_day = calendar.workday_length.total_seconds() / 3600
    out.write(f"{first.year}年{first.month}月  工作时间 {hours}(每个工作日 {per_day:g} 小时)")
    workdays = 0
    for offset in range((last - first).days + 1):
        info = calendar.info(first + timedelta(days=offset))
        workdays += info.is_workday
        marks = [info.name] if info.name else []
        if info.source == DaySource.OVERRIDE:
            marks.append("[后台录入]")
        elif info.source == DaySource.WEEKEND_RULE:
            marks.append("[未录入,按周末规则]")
        kind = "上班" if info.is_workday else "休息"
        out.write(f"{info.day:%Y-%m-%d} 周{WEEKDAYS[info.day.weekday()]} {kind} {' '.join(marks)}".rstrip())
    rest = (last - first).days + 1 - workdays
    out.write(f"工作日 {workdays} 天,休息日 {rest} 天 / {workdays} working days, {rest} rest days")
    for warning in calendar.warnings_for(first, last):
        out.write(f"警告:{warning.message_zh} / warning: {warning.message_en}")

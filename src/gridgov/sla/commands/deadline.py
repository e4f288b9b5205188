"""`gridgov sla deadline "2026-09-30 16:00" 3wd [--pause FROM TO] [--extend 2wd]`: the deadline a
case would get, for checking a policy or answering "why is this case red"."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from gridgov.core.errors import InvalidInput
from gridgov.sla.deadlines import (
    business_time_between,
    deadline_warnings,
    deadline_with_pauses,
)
from gridgov.sla.durations import Duration
from gridgov.sla.selectors import current_calendar

HELP = "计算时限 / compute a deadline (durations: 3wd 工作日, 1wh 工作小时, 2h 小时, 30m 分钟)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("start", help="开始时间,本地时间 YYYY-MM-DD HH:MM")
    parser.add_argument("duration", help="3wd, 1wh, 2h, 30m")
    parser.add_argument("--pause", nargs=2, action="append", default=[], metavar=("FROM", "TO"))
    parser.add_argument("--extend", action="append", default=[], metavar="DURATION")


def handle(options: dict[str, Any], out: Any) -> None:
    calendar = current_calendar()

    def moment(text: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(f"无法识别的时间:{text!r}", f"not a date and time: {text!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=calendar.tz)

    start = moment(options["start"])
    duration = Duration.parse(options["duration"])
    pauses = [(moment(a), moment(b)) for a, b in options["pause"]]
    extensions = [Duration.parse(e) for e in options["extend"]]
    deadline = deadline_with_pauses(start, duration, pauses, calendar=calendar, extensions=extensions)
    out.write(f"开始 {calendar.local(start):%Y-%m-%d %H:%M},时限 {duration}")
    out.write(f"截止 {deadline:%Y-%m-%d %H:%M %Z} / deadline {deadline.isoformat()}")
    hours = business_time_between(start, deadline, calendar=calendar).total_seconds() / 3600
    out.write(f"其间工作时间 {hours:g} 小时 / {hours:g} business hours in between")
    for warning in deadline_warnings(start, deadline, calendar=calendar):
        out.write(f"警告:{warning.message_zh} / warning: {warning.message_en}")

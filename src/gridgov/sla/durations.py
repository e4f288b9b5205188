"""A deadline's length: a whole number of working days, working hours, clock hours or minutes.

Whole numbers only: every policy we know of is written that way ("3个工作日", "1小时"), and
whole numbers keep the arithmetic exact (no float minutes drifting across a month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from gridgov.core.errors import InvalidInput
from gridgov.sla.enums import DurationUnit

_SUFFIX = {
    DurationUnit.WORKDAYS: "wd",
    DurationUnit.WORK_HOURS: "wh",
    DurationUnit.HOURS: "h",
    DurationUnit.MINUTES: "m",
}
_TEXT = re.compile(r"^\s*(\d+)\s*(wd|wh|h|m)\s*$")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        # bool is an int subclass; True working days is a bug, not a duration.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidInput(
                f"时限必须是非负整数:{self.amount!r}",
                f"a duration must be a whole number ≥ 0: {self.amount!r}",
            )
        object.__setattr__(self, "unit", DurationUnit(self.unit))

    @classmethod
    def workdays(cls, n: int) -> Duration:
        return cls(n, DurationUnit.WORKDAYS)

    @classmethod
    def work_hours(cls, n: int) -> Duration:
        return cls(n, DurationUnit.WORK_HOURS)

    @classmethod
    def hours(cls, n: int) -> Duration:
        return cls(n, DurationUnit.HOURS)

    @classmethod
    def minutes(cls, n: int) -> Duration:
        return cls(n, DurationUnit.MINUTES)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """ "3wd", "1wh", "2h", "30m": the short form used on the command line."""
        match = _TEXT.match(text)
        if not match:
            raise InvalidInput(
                f"无法识别的时限:{text!r}(例:3wd 工作日, 1wh 工作小时, 2h 小时, 30m 分钟)",
                f"unknown duration {text!r} "
                "(e.g. 3wd working days, 1wh working hours, 2h hours, 30m minutes)",
            )
        unit = next(u for u, s in _SUFFIX.items() if s == match.group(2))
        return cls(int(match.group(1)), unit)

    @property
    def is_business(self) -> bool:
        return self.unit.is_business

    def clock_length(self) -> timedelta:
        """Length of a clock duration; business durations have no fixed clock length."""
        if self.unit == DurationUnit.HOURS:
            return timedelta(hours=self.amount)
        if self.unit == DurationUnit.MINUTES:
            return timedelta(minutes=self.amount)
        raise ValueError(f"{self.unit} is counted in business time, not clock time")

    def business_length(self, workday_length: timedelta) -> timedelta:
        """Business time this duration stands for, given the length of one working day."""
        if self.unit == DurationUnit.WORKDAYS:
            return workday_length * self.amount
        if self.unit == DurationUnit.WORK_HOURS:
            return timedelta(hours=self.amount)
        raise ValueError(f"{self.unit} is counted in clock time, not business time")

    def __add__(self, other: object) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        if other.unit != self.unit:
            # 3 working days + 2 hours has no single meaning; callers apply them one after the other.
            raise TypeError(f"cannot add {other.unit} to {self.unit}")
        return Duration(self.amount + other.amount, self.unit)

    def __str__(self) -> str:
        return {
            DurationUnit.WORKDAYS: f"{self.amount}个工作日",
            DurationUnit.WORK_HOURS: f"{self.amount}个工作小时",
            DurationUnit.HOURS: f"{self.amount}小时",
            DurationUnit.MINUTES: f"{self.amount}分钟",
        }[self.unit]

    def short(self) -> str:
        return f"{self.amount}{_SUFFIX[self.unit]}"

"""What the page needs to know besides the data: which indicators the figure panel shows, how
often each panel refreshes, and the screen's dates (the server's, in settings.TIME_ZONE: a wall
screen's own clock may be wrong, and "today" must be the same day the stats API counts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from gridgov.stats.indicators import INDICATORS, Period

# The figure panel: the standard indicators of a centre's day and month (issue 4).
FIGURES = (
    "intake",
    "in_progress",
    "closed",
    "overdue",
    "on_time_handling_rate",
    "closure_rate",
    "satisfaction_rate",
)
# The department ranking's columns; ranked by the first.
RANKING = ("on_time_handling_rate", "closure_rate", "satisfaction_rate", "overdue", "intake")
TREND_DAYS = 30

# Seconds between two polls of each panel group. The feed is the liveliest and cheapest; the
# words of the week change slowly and cost the most.
POLL_SECONDS = {"feed": 5, "figures": 10, "map": 15, "trend": 60, "hot": 60, "place": 60}


def indicator_meta() -> list[dict[str, Any]]:
    names = dict.fromkeys(FIGURES + RANKING)
    return [
        {
            "name": n,
            "label": INDICATORS[n].label_zh,
            "label_en": INDICATORS[n].label_en,
            "unit": INDICATORS[n].unit,
            "higher_is_better": INDICATORS[n].higher_is_better,
            "figure": n in FIGURES,
            "ranking": n in RANKING,
        }
        for n in names
    ]


def panel_settings() -> dict[str, Any]:
    return {"poll": POLL_SECONDS, "figures": FIGURES, "ranking": RANKING, "trend_days": TREND_DAYS}


def local_today(now: datetime) -> date:
    return timezone.localtime(now).date()


def screen_clock(now: datetime) -> dict[str, str]:
    """The dates the panels ask the stats API for: today, this whole month (the stats module
    cuts it to the days gone, and compares with the same days of the month before), and the
    trend's window."""
    today = local_today(now)
    month = Period.month_of(today)
    return {
        "now": timezone.localtime(now).isoformat(),
        "time": timezone.localtime(now).strftime("%H:%M:%S"),
        "today": today.isoformat(),
        "month_start": month.start.isoformat(),
        "month_end": month.end.isoformat(),
        "trend_start": (today - timedelta(days=TREND_DAYS - 1)).isoformat(),
    }

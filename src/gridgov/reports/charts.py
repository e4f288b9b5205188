"""Chart images of a report (PNG, matplotlib without a display), drawn from the frozen figures."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from gridgov.reports.fonts import any_cjk

# pyplot keeps global state; Figure objects do not, but font registration does: once, locked.
_lock = threading.Lock()
_family: list[str] = []

PALETTE = ("#0b5cad", "#e07b00", "#2e8b57", "#c0392b")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes


def _font_family() -> list[str]:
    with _lock:
        if not _family:
            found = any_cjk()
            if found:
                font_manager.fontManager.addfont(found[0])
                _family.append(font_manager.FontProperties(fname=found[0]).get_name())
            _family.append("DejaVu Sans")
        return _family


def _figure(width: float = 7.0, height: float = 3.4) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dde3ea", linewidth=0.6)
    ax.set_axisbelow(True)


def volumes(data: dict[str, Any]) -> Chart | None:
    names = ("intake", "closed", "overdue")
    inds = {i["name"]: i for i in data["indicators"]}
    labels = [inds[n]["label"] for n in names]
    now: list[float | None] = [inds[n]["value"] or 0 for n in names]
    # Overdue is a state at generation time: it has no earlier value (bars left out, not zero).
    before = [inds[n]["previous"] for n in names]
    year = [inds[n]["year_ago"] for n in names]
    fig = _figure()
    ax = fig.add_subplot()
    x = range(len(names))
    w = 0.26
    for shift, values, label, colour in (
        (-w, year, "去年同期", PALETTE[2]),
        (0.0, before, data["previous_label"], PALETTE[1]),
        (w, now, "本期", PALETTE[0]),
    ):
        xs = [i + shift for i, v in zip(x, values, strict=True) if v is not None]
        bars = ax.bar(xs, [v for v in values if v is not None], w, label=label, color=colour)
        ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.set_xticks(list(x), labels)
    ax.legend(frameon=False, fontsize=9)
    _style(ax)
    return Chart("volumes", "受理、办结与超期(本期、上期与去年同期)", _png(fig))


def ranking(data: dict[str, Any], which: str, title: str) -> Chart | None:
    rows = [r for r in data[which] if r["values"]["on_time_handling_rate"]["value"] is not None][:15]
    if not rows:
        return None
    rows = list(reversed(rows))  # worst at the top of a horizontal bar chart
    fig = _figure(7.0, max(2.0, 0.32 * len(rows) + 0.9))
    ax = fig.add_subplot()
    values = [r["values"]["on_time_handling_rate"]["value"] for r in rows]  # percent
    bars = ax.barh([r["label"] for r in rows], values, color=PALETTE[0])
    ax.bar_label(bars, fmt="%.1f%%", fontsize=8, padding=2)
    ax.set_xlim(0, 110)
    ax.set_xlabel("按期处置率(%)", fontsize=9)
    _style(ax)
    return Chart(which, title, _png(fig))


def categories(data: dict[str, Any]) -> Chart | None:
    rows = data["categories"][:10]
    if not rows:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    labels = [r["label"] for r in rows]
    values = [r["values"]["intake"]["numerator"] for r in rows]
    bars = ax.bar(labels, values, color=PALETTE[1])
    ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    _style(ax)
    return Chart("categories", "各类别受理量", _png(fig))


def trend(data: dict[str, Any]) -> Chart | None:
    days = data["days"]
    if len(days) < 2:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    labels = [d["label"] for d in days]
    for name, label, colour in (("intake", "受理", PALETTE[0]), ("closed", "办结", PALETTE[2])):
        ax.plot(
            labels,
            [d["values"][name]["numerator"] for d in days],
            marker="o",
            ms=3,
            label=label,
            color=colour,
        )
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=30, fontsize=8)
    ax.legend(frameon=False, fontsize=9)
    _style(ax)
    return Chart("trend", "逐日受理与办结", _png(fig))


def draw(data: dict[str, Any]) -> list[Chart]:
    family = _font_family()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        charts = [
            volumes(data),
            trend(data),
            ranking(data, "regions", "下级区域按期处置率(由低到高)"),
            ranking(data, "departments", "部门按期处置率(由低到高)"),
            categories(data),
        ]
    return [c for c in charts if c is not None]

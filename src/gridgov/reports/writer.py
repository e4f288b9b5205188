"""The report's text, written from the frozen figures (gather.py) in plain Chinese.

Rules of the wording, so a reader can trust it:
- a count's change is relative ("环比上升 50.0%": 4 → 6), taken from the indicator module's
  mom / yoy; when the earlier period had none, the text says so instead of inventing a percentage;
- a rate's change is in percentage points ("上升 5.0 个百分点"), the difference of two rates;
- "worst" means the lowest on-time handling rate among the units that had cases due; the units
  below the whole scope's own rate are named, at most three;
- every number printed is one of the table's numbers, rounded to one decimal.
"""

from __future__ import annotations

from typing import Any

from gridgov.reports.enums import SECTIONS_OF, Section

RATE_UNIT = "%"
NAMED_MAX = 3


def pct(x: float | None) -> str:
    """A rate as the indicator module gives it: already in percent (85.0 = 85 %)."""
    return "—" if x is None else f"{x:.1f}%"


def num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "—"
    if unit == RATE_UNIT:
        return pct(x)
    text = f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
    return f"{text}{' ' + unit if unit else ''}"


def relative(change: float | None, word: str) -> str:
    """`word` is 环比 or 同比 (or empty in a table); change is relative (0.5 = +50 %)."""
    if change is None:
        return f"{word}无可比数据" if word else "—"
    if abs(change) < 0.0005:
        return f"{word}持平"
    return f"{word}{'上升' if change > 0 else '下降'} {abs(change) * 100:.1f}%"


def points(now: float | None, before: float | None, word: str) -> str:
    if now is None or before is None:
        return f"{word}无可比数据" if word else "—"
    diff = now - before  # both in percent: the difference is in points
    if abs(diff) < 0.05:
        return f"{word}持平"
    return f"{word}{'上升' if diff > 0 else '下降'} {abs(diff):.1f} 个百分点"


def change(ind: dict[str, Any], word: str = "环比") -> str:
    before = ind["previous"] if word == "环比" else ind["year_ago"]
    if ind["unit"] == RATE_UNIT:
        return points(ind["value"], before, word)
    rel = ind["mom"] if word == "环比" else ind["yoy"]
    if rel is None and before == 0:
        return f"{'上期' if word == '环比' else '去年同期'}为 0" if (ind["value"] or 0) > 0 else f"{word}持平"
    return relative(rel, word)


def _by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in data["indicators"]}


def _count(ind: dict[str, Any]) -> str:
    return num(ind["value"] if ind["value"] is not None else ind["numerator"], ind["unit"])


def overview(data: dict[str, Any]) -> str:
    i = _by_name(data)
    where, when = data["region"]["name"], data["period_label"]
    intake = i["intake"]
    parts = [
        f"{when},{where}共受理各类事件 {_count(intake)},{change(intake)},{change(intake, '同比')}。",
        f"办结 {_count(i['closed'])}({change(i['closed'])})",
    ]
    rates = [
        f"{i[name]['label']} {pct(i[name]['value'])}"
        + (f"({change(i[name])})" if i[name]["previous"] is not None else "")
        for name in ("closure_rate", "on_time_closure_rate", "on_time_handling_rate", "satisfaction_rate")
        if i[name]["value"] is not None
    ]
    parts.append(f",{','.join(rates)}。" if rates else ";本期没有到期应结或已处置的事件,各项比率不作计算。")
    parts.append(f"截至 {data['overdue_at']},超期未办结事件 {_count(i['overdue'])}。")
    return "".join(parts)


# Volumes rise and fall with demand: reported, but neither good nor bad news.
VOLUME = frozenset({"intake", "closed", "in_progress"})


def _delta(ind: dict[str, Any]) -> float | None:
    """The change vs the previous period: points for a rate, relative for the rest."""
    if ind["unit"] == RATE_UNIT:
        if ind["value"] is None or ind["previous"] is None:
            return None
        d = float(ind["value"] - ind["previous"])
        return None if abs(d) < 0.05 else d
    if ind["mom"] is None:
        return None
    d = float(ind["mom"])
    return None if abs(d) < 0.0005 else d


def changes(data: dict[str, Any]) -> str:
    """What rose and what fell, then the moves in the wrong direction named again."""
    rose: list[str] = []
    fell: list[str] = []
    concern: list[str] = []
    for ind in data["indicators"]:
        delta = _delta(ind)
        if delta is None:
            continue
        text = f"{ind['label']}{change(ind).removeprefix('环比')}"
        (rose if delta > 0 else fell).append(text)
        if ind["name"] not in VOLUME and (delta > 0) != ind["higher_is_better"]:
            concern.append(ind["label"])
    out = []
    if rose:
        out.append(f"与{data['previous_label']}相比,上升的有:{'、'.join(rose)}。")
    if fell:
        out.append(f"{'' if rose else '与' + data['previous_label'] + '相比,'}下降的有:{'、'.join(fell)}。")
    if concern:
        out.append(f"需要关注的是{'、'.join(concern)}朝不利方向变化。")
    cats = [c for c in data["categories"] if (c["values"]["intake"]["mom"] or 0) > 0]
    cats.sort(key=lambda c: (-c["values"]["intake"]["mom"], c["key"]))
    if cats:
        named = "、".join(
            f"{c['label']}({relative(c['values']['intake']['mom'], '环比')})" for c in cats[:NAMED_MAX]
        )
        out.append(f"受理量上升较快的类别:{named}。")
    return "".join(out) or f"与{data['previous_label']}相比,各项指标没有可比变化。"


def _ranking(rows: list[dict[str, Any]], whole: float | None, what: str, scope_name: str) -> str:
    rated = [r for r in rows if r["values"]["on_time_handling_rate"]["value"] is not None]
    if not rated:
        return f"本期各{what}没有到期应办的事件,未作排名。"
    worst = [
        r for r in rated if whole is None or r["values"]["on_time_handling_rate"]["value"] < whole - 1e-9
    ][:NAMED_MAX]
    best = rated[-1]
    out = []
    if worst:
        named = "、".join(
            f"{r['label']}({pct(r['values']['on_time_handling_rate']['value'])})" for r in worst
        )
        out.append(f"按期处置率低于{scope_name}整体水平({pct(whole)})的{what}:{named}。")
    else:
        out.append(f"各{what}按期处置率均不低于{scope_name}整体水平({pct(whole)})。")
    out.append(
        f"按期处置率最高的是{best['label']}({pct(best['values']['on_time_handling_rate']['value'])})。"
    )
    late = sorted(
        (r for r in rows if r["values"]["overdue"]["numerator"]),
        key=lambda r: (-r["values"]["overdue"]["numerator"], r["key"]),
    )
    if late:
        named = "、".join(
            f"{r['label']}({num(r['values']['overdue']['numerator'], '件')})" for r in late[:NAMED_MAX]
        )
        out.append(f"超期事件较多的{what}:{named}。")
    return "".join(out)


def regions(data: dict[str, Any]) -> str:
    whole = _by_name(data)["on_time_handling_rate"]["value"]
    return _ranking(data["regions"], whole, "下级区域", data["region"]["name"])


def departments(data: dict[str, Any]) -> str:
    whole = _by_name(data)["on_time_handling_rate"]["value"]
    if not data["departments"]:
        return "本期没有派往职能部门办理的事件。"
    return _ranking(data["departments"], whole, "部门", data["region"]["name"])


def categories(data: dict[str, Any]) -> str:
    rows = data["categories"]
    if not rows:
        return "本期没有受理事件。"
    total = sum(c["values"]["intake"]["numerator"] for c in rows) or 1
    named = "、".join(
        f"{c['label']} {num(c['values']['intake']['numerator'], '件')}"
        f"(占 {c['values']['intake']['numerator'] / total * 100:.1f}%)"
        for c in rows[:NAMED_MAX]
    )
    return f"受理量居前的事项类别:{named}。"


def places(data: dict[str, Any]) -> str:
    rows = data["places"]
    if not rows:
        return "本期未发现同一网格重复发生两件以上事件的情况。"
    named = "、".join(
        f"{p['name']}({p['count']} 件{',以' + p['category'] + '为主' if p['category'] else ''})"
        for p in rows[:5]
    )
    return f"本期有 {len(rows)} 个网格重复发生事件,较多的是:{named}。建议对上述地点开展专项排查,从源头化解。"


def overdue(data: dict[str, Any]) -> str:
    rows = data["overdue"]
    if not rows:
        return f"截至 {data['overdue_at']},没有超期未办结的事件。"
    first = rows[0]
    owners: dict[str, int] = {}
    for r in rows:
        if r["owner"]:
            owners[r["owner"]] = owners.get(r["owner"], 0) + 1
    lead = sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))[:NAMED_MAX]
    out = [
        f"截至 {data['overdue_at']},共有 {len(rows)} 件事件超期未办结。",
        f"超期最久的是 {first['number']}({first['title']},{first['owner'] or first['region']},"
        f"超期 {first['days_late']:.1f} 天)。",
    ]
    if lead:
        out.append(f"超期件较多的责任单位:{'、'.join(f'{k}({v} 件)' for k, v in lead)}。")
    out.append("超期事件清单附后,请责任单位逐件说明原因、限期办结。")
    return "".join(out)


def remarks(data: dict[str, Any]) -> str:
    i = _by_name(data)
    out = []
    if data["overdue"]:
        out.append("一是对超期事件逐件督办,责任单位限期办结并书面说明原因。")
    whole = i["on_time_handling_rate"]["value"]
    worst = [
        r["label"]
        for r in data["departments"]
        if r["values"]["on_time_handling_rate"]["value"] is not None
        and whole is not None
        and r["values"]["on_time_handling_rate"]["value"] < whole - 1e-9
    ][:2]
    if worst:
        out.append(f"{'二' if out else '一'}是{'、'.join(worst)}要加快处置进度,提高按期处置率。")
    if data["places"]:
        out.append(f"{'三' if len(out) == 2 else '二' if out else '一'}是对重复发生事件的网格开展源头治理。")
    sat = i["satisfaction_rate"]["value"]
    if sat is not None and sat < 90:
        out.append(f"满意率为 {pct(sat)},要加强回访,提高办理质量。")
    return "".join(out) or "本期各项工作运行平稳,请继续保持。"


WRITERS = {
    Section.OVERVIEW: overview,
    Section.CHANGES: changes,
    Section.REGIONS: regions,
    Section.DEPARTMENTS: departments,
    Section.CATEGORIES: categories,
    Section.PLACES: places,
    Section.OVERDUE: overdue,
    Section.REMARKS: remarks,
}


def write(data: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": s.value, "title": s.label, "text": WRITERS[s](data)} for s in SECTIONS_OF[data["kind"]]]

"""What a case adds to the recent counts (`stats.models.Recent`): the words of its text and the
H3 cell of its position, on the day it was registered, for the last RECENT_DAYS days only.

The screen's hot topics compare the words of the last seven days with the seven before, and its
heat layer counts the last seven days' cases per hexagon; nothing else reads them. Tokenising a
text (jieba) costs about 0.2 ms, and the screen asked for a city's two weeks, thousands of
texts, on every uncached request (0.75 s at 10 M cases): each case's text is now segmented
once, by the stats reader (the worker), never in a request. Only recent days are kept because
older ones are never asked for: words and hexagons of the whole history would be the largest
table of the database (tens of rows per case, almost all unique below township level).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import h3

# Two weeks counting today: this week (today and the six days before) and the week before.
RECENT_DAYS = 14
WEEK_DAYS = 7
# The hexagon size the map uses at each level, by the length of the level's code prefix:
# about 36 km² for a province, 5 km² under a city or county, 0.7 km² under a township,
# 0.1 km² under a community or in a grid (h3 resolutions 6, 7, 8, 9).
HEAT_RESOLUTION = {2: 6, 4: 7, 6: 7, 9: 8, 12: 9, 15: 9}
FINEST = max(HEAT_RESOLUTION.values())
TEXT_CHARS = 200  # of the description: the title and the first lines say what it is about

# Words every complaint uses: they say nothing about what is happening this week.
STOPWORDS = frozenset(
    """
    反映 问题 情况 希望 要求 处理 解决 相关 部门 存在 进行 市民 来电 咨询 一个 没有 我们 他们
    目前 现在 已经 导致 造成 影响 出现 居民 附近 经常 请求 诉求 群众 表示 称其 本人 自己 这个
    那个 什么 怎么 为什么 可以 不能 无法 需要 应该 还是 但是 因为 所以 如果 或者 以及 并且 而且
    时间 今天 昨天 每天 一直 多次 一下 有关 问题反映 工作人员 不是 就是 这样 那里 这里 同时 合成 演示
    数据 演示数据
    群众反映 市民反映 网格 网格员 巡查 发现 入户 走访 号楼 单元 小区 社区 街道
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
# The second line above: the words of how a matter reached us (a grid worker's patrol "found",
# "people report") and of any address ("building no.", "unit", "estate"). In the demo city they
# were five of the city's eight hot words, above 纠纷, 老人 and 占用, which say what is happening.
_WORD = re.compile(r"^[\u4e00-\u9fff]{2,8}$")


def recent_since(today: date) -> date:
    """The first day the recent counts keep."""
    return today - timedelta(days=RECENT_DAYS - 1)


def words_of(title: str, description: str) -> tuple[str, ...]:
    """The distinct words of a case's text that can be a topic, sorted (a case counts once per word)."""
    import jieba  # loads its dictionary (about a second) on first use, so only where needed

    text = f"{title} {description[:TEXT_CHARS]}"
    return tuple(sorted({w for w in jieba.lcut(text) if _WORD.match(w) and w not in STOPWORDS}))


def cell_of(lat: float | None, lon: float | None) -> str:
    """The finest hexagon of a position ('' without one); the coarser ones are its parents."""
    if lat is None or lon is None:
        return ""
    return str(h3.latlng_to_cell(lat, lon, FINEST))


def heat_cell(cell: str, prefix_length: int) -> str:
    """The hexagon counted for a place whose code prefix is this long."""
    return str(h3.cell_to_parent(cell, HEAT_RESOLUTION[prefix_length]))


def recent_of(row: dict[str, Any], received: date, since: date) -> tuple[tuple[str, ...], str]:
    """(words, finest cell) of a case row holding title, description, lat, lon; nothing when it
    was registered before `since` (its day is no longer kept)."""
    if received < since:
        return (), ""
    return words_of(row["title"] or "", row["description"] or ""), cell_of(row["lat"], row["lon"])

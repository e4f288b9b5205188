"""Hot topics: the week's rising words and the places that repeat.

Words: jieba over the titles and descriptions of the place's cases of the last seven days,
counted once per case, against the seven days before. Places: the grids (or regions, for
cases outside any grid) with more than one case this week. Both windows read at most
TEXT_MAX cases each through the `created_at` index; the answer is cached for CACHE_SECONDS,
because segmenting a few thousand texts costs about a second and the week moves slowly.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from gridgov.dashboards.place import Place, cases_created
from gridgov.geo.models import Grid, Region

TEXT_MAX = 3000
WORDS_MAX = 8
PLACES_MAX = 8
CACHE_SECONDS = 120
WEEK = timedelta(days=7)

# Words every complaint uses: they say nothing about what is happening this week.
STOPWORDS = frozenset(
    """
    反映 问题 情况 希望 要求 处理 解决 相关 部门 存在 进行 市民 来电 咨询 一个 没有 我们 他们
    目前 现在 已经 导致 造成 影响 出现 居民 附近 经常 请求 诉求 群众 表示 称其 本人 自己 这个
    那个 什么 怎么 为什么 可以 不能 无法 需要 应该 还是 但是 因为 所以 如果 或者 以及 并且 而且
    时间 今天 昨天 每天 一直 多次 一下 有关 问题反映 工作人员 不是 就是 这样 那里 这里 同时 合成 演示
    数据 演示数据
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
_WORD = re.compile(r"^[\u4e00-\u9fff]{2,8}$")


def _words(text: str) -> set[str]:
    import jieba  # loads its dictionary (about a second) on first use, so only when needed

    return {w for w in jieba.lcut(text) if _WORD.match(w) and w not in STOPWORDS}


def _word_counts(texts: list[tuple[str, str]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for title, description in texts:
        counts.update(_words(f"{title} {description[:200]}"))
    return counts


def _window(*, user: Any, place: Place, start: datetime, end: datetime) -> list[tuple[str, str]]:
    return list(
        cases_created(user=user, place=place, start=start, end=end)
        .order_by("-created_at")
        .values_list("title", "description")[:TEXT_MAX]
    )


def _rising_words(*, user: Any, place: Place, now: datetime) -> list[dict[str, Any]]:
    this_week = _word_counts(_window(user=user, place=place, start=now - WEEK, end=now))
    last_week = _word_counts(_window(user=user, place=place, start=now - 2 * WEEK, end=now - WEEK))
    # Rising first (by how much), then the most frequent; a word that appears once is noise.
    ranked = sorted(
        ((n - last_week.get(word, 0), n, word) for word, n in this_week.items() if n >= 2),
        key=lambda t: (-t[0], -t[1], t[2]),
    )
    return [
        {"word": word, "count": n, "previous": n - change, "change": change}
        for change, n, word in ranked[:WORDS_MAX]
    ]


def _names(codes: list[str]) -> dict[str, str]:
    names = dict(Grid.objects.filter(code__in=codes).values_list("code", "name"))
    names.update(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return names


def _repeating_places(*, user: Any, place: Place, now: datetime) -> list[dict[str, Any]]:
    def per_code(start: datetime, end: datetime) -> dict[str, int]:
        rows = (
            cases_created(user=user, place=place, start=start, end=end)
            .order_by()
            .values("territory_code")
            .annotate(n=Count("id"))
        )
        return {r["territory_code"]: r["n"] for r in rows}

    this_week = per_code(now - WEEK, now)
    repeats = sorted(((n, code) for code, n in this_week.items() if n >= 2), key=lambda t: (-t[0], t[1]))
    top = [code for _, code in repeats[:PLACES_MAX]]
    if not top:
        return []
    last_week = per_code(now - 2 * WEEK, now - WEEK)
    names = _names(top)
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "is_grid": len(code) == 15,
            "count": this_week[code],
            "previous": last_week.get(code, 0),
        }
        for code in top
    ]


def hot_topics(*, user: Any, place: Place, now: datetime) -> dict[str, Any]:
    # Per user (scopes differ) and per two-minute slice of the clock passed in, not of the
    # wall clock, so a screen asking about another moment never reads a stale answer.
    key = f"dashboards:hot:{user.pk}:{place.code}:{int(now.timestamp()) // CACHE_SECONDS}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    answer = {
        "place": place.out(),
        "start": (now - WEEK).isoformat(),
        "end": now.isoformat(),
        "words": _rising_words(user=user, place=place, now=now),
        "places": _repeating_places(user=user, place=place, now=now),
    }
    cache.set(key, answer, CACHE_SECONDS)
    return answer

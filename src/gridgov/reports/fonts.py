"""The CJK font used for server-drawn Chinese (charts, PDF). Without one every character is an
empty box. TrueType outlines are needed by reportlab (it cannot embed the CFF outlines of Noto
CJK's .ttc), so WenQuanYi Micro Hei comes first; matplotlib can use either."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# (path, index of the face inside a collection)
TRUETYPE = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
ANY = (*TRUETYPE, ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2))


def first_present(candidates: tuple[tuple[str, int], ...]) -> tuple[str, int] | None:
    return next(((p, i) for p, i in candidates if Path(p).is_file()), None)


@cache
def truetype_cjk() -> tuple[str, int] | None:
    return first_present(TRUETYPE)


@cache
def any_cjk() -> tuple[str, int] | None:
    return first_present(ANY)

"""One report version as a document: what every format draws (page, DOCX, PDF, XLSX)."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.reports.tables import Table


@dataclass(frozen=True)
class Doc:
    title: str  # 城关区社会治理月通报
    subtitle: str  # 2026年3月 · 第 2 版 · 已发布
    sections: list[dict[str, str]]
    tables: list[Table]
    charts: list[tuple[str, bytes]]  # (title, png)
    footer: str  # 生成时间 …

    def filename(self, ext: str) -> str:
        return f"{self.title}-{self.subtitle.split(' · ')[0]}.{ext}"

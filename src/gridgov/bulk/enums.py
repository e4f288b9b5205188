from __future__ import annotations

from django.db import models


class RegisterKind(models.TextChoices):
    """The registers that can be imported and exported in bulk."""

    RESIDENTS = "residents", "实有人口"
    ADDRESSES = "addresses", "标准地址"
    HOUSES = "houses", "实有房屋"
    ORGANIZATIONS = "organizations", "实有单位"


class ImportMode(models.TextChoices):
    # Nothing is written unless every row of the file is valid.
    ALL_OR_NOTHING = "all_or_nothing", "全部有效才导入"
    # The valid rows are written; the others go to the error report.
    VALID_ROWS = "valid_rows", "只导入有效行"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "有错误,未导入"
    FAILED = "failed", "失败"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class LoadMode(models.TextChoices):
    """How an import writes (docs/import.md, "Bulk load"): chosen per run, not stored."""

    # Rebuild when the file is large beside the register (pipeline.load_chosen), else incremental.
    AUTO = "auto", "自动"
    # Batch by batch, each committed with the indexes in place: resumable, the tables stay open.
    INCREMENTAL = "incremental", "逐批提交"
    # PostgreSQL: one transaction, secondary indexes and foreign keys rebuilt at the end.
    REBUILD = "rebuild", "整体装载并重建索引"

"""Import jobs and the problems found in their rows.

A job is committed batch by batch: each batch's rows, its issues, the job's counters and
`batches_done` change in one transaction, so a job killed mid-file resumes from the first batch
not committed and never writes a row twice (docs/import.md, "Resume").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gridgov.bulk.enums import FileFormat, ImportMode, JobStatus, RegisterKind
from gridgov.registry.enums import DataSource


class ImportJob(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    register = models.CharField("登记簿", max_length=16, choices=RegisterKind.choices)
    mode = models.CharField("导入方式", max_length=16, choices=ImportMode.choices)
    status = models.CharField(
        "状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    # An upload is kept under MEDIA_ROOT; the CLI reads the file where it lies (`path`).
    file = models.FileField("文件", upload_to="bulk/imports/%Y/%m/", max_length=255, blank=True)
    path = models.CharField(max_length=1024, blank=True)
    file_name = models.CharField("原文件名", max_length=255)
    file_format = models.CharField(max_length=8, choices=FileFormat.choices)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    batch_size = models.PositiveIntegerField(default=20_000)
    total_rows = models.PositiveIntegerField("数据行", default=0)
    imported_rows = models.PositiveIntegerField("已导入", default=0)
    error_rows = models.PositiveIntegerField("错误行", default=0)
    ungridded_rows = models.PositiveIntegerField("未定位到网格", default=0)
    addresses_created = models.PositiveIntegerField("新建地址", default=0)
    batches_done = models.PositiveIntegerField("已提交批次", default=0)
    # All-or-nothing: set once the whole file has been checked without an error, so a resumed
    # job does not check it again.
    validated = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=DataSource.choices, default=DataSource.IMPORTED)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"

    def __str__(self) -> str:
        return f"{self.get_register_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.REJECTED, JobStatus.FAILED)

    def local_path(self) -> str:
        return self.file.path if self.file else self.path

    @property
    def processed_rows(self) -> int:
        return self.imported_rows + self.error_rows


class ImportIssue(models.Model):
    """One problem in one row: what the error report lists. The value is stored masked when
    the column holds personal data."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField("行号")
    column = models.CharField("列", max_length=32, blank=True)
    value = models.CharField("值", max_length=200, blank=True)
    code = models.CharField(max_length=40)
    message = models.CharField("说明", max_length=300)

    class Meta:
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"])]
        verbose_name = "导入问题"
        verbose_name_plural = "导入问题"

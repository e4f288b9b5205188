from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "gridgov.bulk"
    label = "bulk"
    verbose_name = "批量导入导出 / Bulk import and export"

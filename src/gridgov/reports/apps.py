from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "gridgov.reports"
    label = "reports"
    verbose_name = "简报通报 / Reports"

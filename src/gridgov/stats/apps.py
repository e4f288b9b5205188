from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "gridgov.stats"
    label = "stats"
    verbose_name = "统计指标 / Indicators"

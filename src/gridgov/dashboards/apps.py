from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "gridgov.dashboards"
    label = "dashboards"
    verbose_name = "指挥大屏 / Big screen"

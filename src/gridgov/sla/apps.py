from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "gridgov.sla"
    label = "sla"
    verbose_name = "时限与工作日 / Deadlines"

    def ready(self) -> None:
        from gridgov.sla import signals  # noqa: F401

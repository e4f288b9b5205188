from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "gridgov.geo"
    label = "geo"
    verbose_name = "行政区划与网格 / Territory"

    def ready(self) -> None:
        # Connects the index's save/delete signal handlers, so single edits are seen at once.
        from gridgov.geo import index  # noqa: F401

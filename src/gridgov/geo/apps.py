from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "gridgov.geo"
    label = "geo"
    verbose_name = "行政区划与网格 / Territory"

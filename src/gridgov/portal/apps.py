from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "gridgov.portal"
    label = "portal"
    verbose_name = "市民端 / Citizen portal"

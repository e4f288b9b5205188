from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    label = "registry"
    verbose_name = "基础台账 / Base registers"

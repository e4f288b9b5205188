from django.apps import AppConfig


class BareAppConfig(AppConfig):
    name = "bench.bareapp"
    label = "bench_bare"
    default_auto_field = "django.db.models.BigAutoField"

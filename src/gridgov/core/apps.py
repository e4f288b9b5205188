from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = "核心 / Core"

    def ready(self) -> None:
        if settings.PRODUCTION:
            # Refuse to start rather than fail on the first write of personal data: production
            # must bring its keys (GRIDGOV_PII_KEYS), never fall back to a file beside the data.
            from gridgov.core.crypto import keyring

            keyring()

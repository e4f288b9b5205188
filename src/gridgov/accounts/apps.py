from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = "账号与机构 / Accounts"

    def ready(self) -> None:
        from gridgov.accounts import signals  # noqa: F401

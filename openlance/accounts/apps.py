from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openlance.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from openlance.accounts import handlers  # noqa: F401  (registers outbox handlers)

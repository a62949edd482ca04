from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openlance.accounts"
    label = "accounts"
    verbose_name = "Accounts"

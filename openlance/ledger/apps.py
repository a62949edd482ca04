from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "openlance.ledger"
    label = "ledger"
    verbose_name = "Ledger"

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "openlance.contracts"
    label = "contracts"
    verbose_name = "Offers and contracts"

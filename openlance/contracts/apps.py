from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "openlance.contracts"
    label = "contracts"
    verbose_name = "Offers and contracts"

    def ready(self) -> None:
        from openlance.contracts import (  # noqa: F401  (registers outbox handlers)
            handlers,
            offer_handlers,
        )

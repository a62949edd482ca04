from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "openlance.contracts"
    label = "contracts"
    verbose_name = "Offers and contracts"

    def ready(self) -> None:
        # Importing the handler modules registers their outbox handlers.
        from openlance.contracts import handlers  # noqa: F401
        from openlance.contracts.hourly import handlers as hourly_handlers  # noqa: F401
        from openlance.contracts.offers import handlers as offer_handlers  # noqa: F401
        from openlance.contracts.payments import handlers as payment_handlers  # noqa: F401

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "openlance.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from openlance.billing import handlers  # noqa: F401  (registers outbox handlers)

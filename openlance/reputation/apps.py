from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "openlance.reputation"
    label = "reputation"
    verbose_name = "Reputation"

    def ready(self) -> None:
        from openlance.reputation import handlers  # noqa: F401  (registers outbox handlers)

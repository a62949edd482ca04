from django.apps import AppConfig


class ConnectsConfig(AppConfig):
    name = "openlance.connects"
    label = "connects"
    verbose_name = "Connects"

    def ready(self) -> None:
        from openlance.connects import handlers  # noqa: F401  (registers outbox handlers)

from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "openlance.disputes"
    label = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        from openlance.disputes import handlers  # noqa: F401  (registers outbox handlers)

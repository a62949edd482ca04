from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "openlance.messaging"
    label = "messaging"
    verbose_name = "Messages"

    def ready(self) -> None:
        from openlance.messaging import handlers  # noqa: F401  (registers outbox handlers)

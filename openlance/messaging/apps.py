from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "openlance.messaging"
    label = "messaging"
    verbose_name = "Messages"

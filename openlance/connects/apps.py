from django.apps import AppConfig


class ConnectsConfig(AppConfig):
    name = "openlance.connects"
    label = "connects"
    verbose_name = "Connects"

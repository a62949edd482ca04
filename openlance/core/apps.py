from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openlance.core"
    label = "core"
    verbose_name = "Core: policies, events, idempotency"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "openlance.api"
    label = "api"
    verbose_name = "API"
